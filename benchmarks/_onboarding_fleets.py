"""The fleets of the onboarding benchmark: Rossmann daily, weekly roll-ups, the departments hook.

Weekly data is rolled up here with DuckDB into the benchmark's temporary folder (never into the
repository) until the spec's ``aggregate:`` roll-ups land.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

import _benchlib as bl

ROSSMANN = bl.ROSSMANN_DIR
FAVORITA = bl.REPO_ROOT.parent / "shared" / "datasets" / "favorita-store-transactions"
WEEKLY_PARAMS = {"n_estimators": 200, "learning_rate": 0.05, "num_leaves": 15}
WEEKLY_PARAMS["min_child_samples"] = 5


def _sql(query: str) -> None:
    import duckdb

    duckdb.sql(query)


def rossmann_weekly(folder: Path) -> Path:
    """Rossmann daily sales rolled up to whole weeks ending Sunday, and its spec."""
    train, stores = ROSSMANN / "train.csv", ROSSMANN / "store.csv"
    _sql(
        f"""COPY (
            SELECT Store AS store, CAST(date_trunc('week', Date) + INTERVAL 6 DAY AS DATE) AS week,
                   SUM(Sales)::DOUBLE AS sales, SUM(Open)::BIGINT AS open_days,
                   SUM(Promo)::BIGINT AS promo_days, SUM(SchoolHoliday)::BIGINT AS school_days
            FROM read_csv('{train}', types={{'StateHoliday': 'VARCHAR'}})
            WHERE Date BETWEEN DATE '2013-01-07' AND DATE '2015-07-26'
            GROUP BY ALL ORDER BY store, week
        ) TO '{folder / "weekly.parquet"}' (FORMAT parquet)"""
    )
    spec = {
        "name": "rossmann-weekly",
        "task": "regression",
        "schema": {
            "tenant_key": "store",
            "timestamp": "week",
            "target": "sales",
            "frequency": "W",
            "columns": {
                "open_days": "int",
                "promo_days": "int",
                "school_days": "int",
                "store_type": "str",
                "assortment": "str",
            },
        },
        "sources": [
            {"name": "sales", "path": "weekly.parquet"},
            {
                "name": "stores",
                "kind": "static",
                "path": str(stores),
                "columns": {
                    "store": "Store",
                    "store_type": "StoreType",
                    "assortment": "Assortment",
                },
            },
        ],
        "features": {"covariates": ["open_days", "promo_days", "school_days"]},
        **_weekly_blocks(),
    }
    return _write_spec(folder, spec)


def favorita_weekly(folder: Path) -> Path:
    """Favorita daily transactions per store rolled up to weeks, the last 140 weeks."""
    source, stores = FAVORITA / "transactions.csv", FAVORITA / "stores.csv"
    _sql(
        f"""COPY (
            SELECT store_nbr AS store,
                   CAST(date_trunc('week', date) + INTERVAL 6 DAY AS DATE) AS week,
                   SUM(transactions)::DOUBLE AS transactions, COUNT(*)::BIGINT AS open_days
            FROM read_csv('{source}')
            WHERE date BETWEEN DATE '2014-12-08' AND DATE '2017-08-13'
            GROUP BY ALL ORDER BY store, week
        ) TO '{folder / "weekly.parquet"}' (FORMAT parquet)"""
    )
    spec = {
        "name": "favorita-weekly",
        "task": "regression",
        "schema": {
            "tenant_key": "store",
            "timestamp": "week",
            "target": "transactions",
            "frequency": "W",
            "columns": {"open_days": "int", "city": "str", "type": "str", "cluster": "int"},
        },
        "sources": [
            {"name": "transactions", "path": "weekly.parquet"},
            {
                "name": "stores",
                "kind": "static",
                "path": str(stores),
                "columns": {"store": "store_nbr"},
            },
        ],
        "features": {"covariates": ["open_days"]},
        **_weekly_blocks(),
    }
    return _write_spec(folder, spec)


def _weekly_blocks() -> dict[str, Any]:
    return {
        "model": {"family": "lightgbm", "params": dict(WEEKLY_PARAMS)},
        "baseline": {"family": "seasonal_naive", "season": 52},
        "validation": {"horizon": 8, "min_train_periods": 52},
        "gates": {"metric": "wmape", "min_improvement": 0.0},
    }


def departments(folder: Path) -> Path | None:
    """The synthetic store x department fleet from ``modelfleet demo-data --kind
    weekly-departments`` (its fleet.yaml), or None while that kind does not exist."""
    command = [
        str(Path(bl.python()).with_name("modelfleet")),
        "demo-data",
        str(folder / "departments"),
    ]
    # The size of the export the issue describes: 45 stores x up to 70 departments, ragged.
    size = ["--stores", "45", "--departments", "70", "--seed", "0"]
    done = subprocess.run(
        [*command, "--kind", "weekly-departments", *size],
        capture_output=True,
        text=True,
        check=False,
    )
    spec = folder / "departments" / "fleet.yaml"
    return spec if done.returncode == 0 and spec.is_file() else None


def department_stores(folder: Path) -> Path | None:
    """The same synthetic export keyed by store: departments summed by the spec's aggregate."""
    if departments(folder) is None:
        return None
    spec = folder / "departments" / "fleet-stores.yaml"
    return spec if spec.is_file() else None


def rossmann_daily(folder: Path) -> Path:
    """The Rossmann example fleet, as it is in the repository."""
    return bl.ROSSMANN_SPEC


FLEETS: dict[str, Callable[[Path], Path | None]] = {
    "rossmann-daily": rossmann_daily,
    "rossmann-weekly": rossmann_weekly,
    "favorita-weekly": favorita_weekly,
    "departments": departments,
    "department-stores": department_stores,
}


def _write_spec(folder: Path, spec: dict[str, Any]) -> Path:
    path = folder / "fleet.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path
