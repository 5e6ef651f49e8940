"""Helpers for data integration tests: small daily tables, CSV writers, specs in tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from modelfleet.config.spec import FleetSpec, parse_spec


def daily_table(stores: Sequence[str], days: int, start: date = date(2024, 1, 1)) -> pa.Table:
    """store, date, sales, promo for each store and day; sales = 100 * store index + day."""
    n = len(stores)
    day = np.tile(np.arange(days), n)
    store_index = np.repeat(np.arange(n), days)
    return pa.table(
        {
            "store": pa.array(np.repeat(np.array(stores), days)),
            "date": pa.array(np.datetime64(start, "D") + day),
            "sales": pa.array(100.0 * store_index + day + 0.25),
            "promo": pa.array(day % 2),
        }
    )


@pytest.fixture
def daily() -> Callable[..., pa.Table]:
    """Factory for small daily tables (see daily_table)."""
    return daily_table


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write an Arrow table as CSV into tmp_path and return the path."""

    def write(table: pa.Table, name: str = "sales.csv", delimiter: str = ",") -> Path:
        path = tmp_path / name
        options = pacsv.WriteOptions(delimiter=delimiter, quoting_style="none")
        pacsv.write_csv(table, path, write_options=options)
        return path

    return write


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
