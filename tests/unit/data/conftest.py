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
