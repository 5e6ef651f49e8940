"""Helpers for data unit tests: specs rooted in tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelfleet.config.spec import FleetSpec, parse_spec


def base_spec() -> dict[str, Any]:
    """A small valid fleet spec as a mapping: stores, daily, one CSV source."""
    return {
        "name": "test-fleet",
        "schema": {
            "tenant_key": "store",
            "timestamp": "date",
            "target": "sales",
            "columns": {"promo": "int"},
        },
        "sources": [{"name": "sales", "path": "sales.csv"}],
        "validation": {"horizon": 7, "min_train_periods": 14},
    }


@pytest.fixture
def make_spec(tmp_path: Path) -> Callable[..., FleetSpec]:
    """Build a FleetSpec rooted in tmp_path from base_spec() with top-level keys replaced."""

    def build(**changes: Any) -> FleetSpec:
        data = base_spec()
        data.update(changes)
        return parse_spec(data, base_dir=tmp_path, file_label=str(tmp_path / "fleet.yaml"))

    return build


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write text (lines joined by the caller) into tmp_path under a name; return the path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def weekly_rows(stores: int, depts: int, weeks: int, start: str = "2024-01-05") -> str:
    """CSV text store,dept,date,sales over Friday weeks; sales = 10 * dept + week index."""
    from datetime import date, timedelta

    first = date.fromisoformat(start)
    lines = ["store,dept,date,sales"]
    for s in range(1, stores + 1):
        for d in range(1, depts + 1):
            for w in range(weeks):
                lines.append(f"{s},{d},{first + timedelta(days=7 * w)},{10 * d + w}")
    return "\n".join(lines) + "\n"
