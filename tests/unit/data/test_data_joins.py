"""Joins on any subset of the tenant key, duplicate summaries, and file:line citations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from modelfleet.config.spec import FleetSpec
from modelfleet.data.ingest import load_fleet_data
from modelfleet.errors import SourceError

from .conftest import weekly_rows

NOW = datetime(2030, 1, 1)
Spec = Callable[..., FleetSpec]
Write = Callable[[str, str], Path]


def _dept_fleet(make_spec: Spec, columns: dict[str, str], *sources: dict[str, Any]) -> FleetSpec:
    return make_spec(
        schema={
            "tenant_key": ["store", "dept"],
            "timestamp": "date",
            "target": "sales",
            "columns": columns,
        },
        sources=[{"name": "sales", "path": "data/sales.csv"}, *sources],
        validation={"horizon": 1, "min_train_periods": 1},
    )


@pytest.fixture
def sales(write_file: Write, tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return write_file("data/sales.csv", weekly_rows(stores=2, depts=2, weeks=3))


def test_a_store_file_joins_a_store_dept_fleet_on_store(
    make_spec: Spec, write_file: Write, sales: Path
) -> None:
    write_file("stores.csv", "store,size\r1,100\r2,200\r")  # CR line endings
    spec = _dept_fleet(
        make_spec, {"size": "float"}, {"name": "stores", "kind": "static", "path": "stores.csv"}
    )
    data = load_fleet_data(spec, now=NOW)
    sizes = dict(
        zip(data.table["_tenant"].to_pylist(), data.table["size"].to_pylist(), strict=True)
    )
    assert sizes == {"1-1": 100.0, "1-2": 100.0, "2-1": 200.0, "2-2": 200.0}


def test_a_static_file_without_any_key_column_names_file_columns_and_fix(
    make_spec: Spec, write_file: Write, sales: Path
) -> None:
    write_file("stores.csv", "Store,size\n1,100\n2,200\n")
    spec = _dept_fleet(
        make_spec, {"size": "float"}, {"name": "stores", "kind": "static", "path": "stores.csv"}
    )
    with pytest.raises(SourceError) as caught:
        load_fleet_data(spec, now=NOW)
    message = caught.value.message
    assert "source 'stores'" in message and "stores.csv" in message
    assert "missing column 'store'" in message and "'Store', 'size'" in message
    assert "{store: Store}" in message and "join_on: [store]" in message


def test_covariates_join_on_the_timestamp_and_the_key_columns_they_have(
    make_spec: Spec, write_file: Write, sales: Path
) -> None:
    rows = [f"{s},2024-01-{d:02d},{s * 100 + d}" for s in (1, 2) for d in (5, 12, 19)]
    write_file("features.csv", "store,date,temp\n" + "\n".join(rows) + "\n")
    spec = _dept_fleet(
        make_spec,
        {"temp": "float"},
        {"name": "features", "kind": "covariates", "path": "features.csv"},
    )
    data = load_fleet_data(spec, now=NOW)
    assert data.tenant_table("2-1")["temp"].to_pylist() == [205.0, 212.0, 219.0]


def test_a_static_source_repeating_its_join_key_is_an_error_citing_its_lines(
    make_spec: Spec, write_file: Write, sales: Path
) -> None:
    write_file("stores.csv", "store,size\n1,100\n1,150\n2,200\n")
    spec = _dept_fleet(
        make_spec, {"size": "float"}, {"name": "stores", "kind": "static", "path": "stores.csv"}
    )
    data = load_fleet_data(spec, now=NOW)
    assert set(data.failed) == {"1-1", "1-2"}
    finding = next(f for f in data.findings if f.check == "duplicates" and f.tenant == "1-1")
    assert "stores.csv line 2 and stores.csv line 3" in finding.message
    assert "keep one row per (store)" in finding.message


def test_rows_finer_than_the_key_get_one_bounded_fleet_summary_naming_the_fix(
    make_spec: Spec, write_file: Write
) -> None:
    write_file("sales.csv", weekly_rows(stores=8, depts=30, weeks=10))
    spec = make_spec(
        validation={"horizon": 1, "min_train_periods": 1},
        schema={"tenant_key": "store", "timestamp": "date", "target": "sales"},
    )
    data = load_fleet_data(spec, now=NOW)
    (summary,) = [f for f in data.findings if f.check == "duplicates" and f.tenant is None]
    assert summary.count == 8 and len(summary.examples) == 5
    assert "8 tenant(s) have several rows for one timestamp (80 timestamp(s) in all)" in (
        summary.message
    )
    assert "aggregate: in sources[sales]" in summary.message and "tenant_key" in summary.message
    assert len(summary.message) < 1500
    per_tenant = next(f for f in data.findings if f.check == "duplicates" and f.tenant == "1")
    assert per_tenant.message.count("sales.csv line") <= 3 * 5


def test_a_null_covariate_cites_the_covariate_file_line(
    make_spec: Spec, write_file: Write, sales: Path
) -> None:
    rows = [
        f"{s},2024-01-{d:02d},{'NA' if (s, d) == (2, 12) else 1}"
        for s in (1, 2)
        for d in (5, 12, 19)
    ]
    write_file("features.csv", "store,date,temp\n" + "\n".join(rows) + "\n")
    spec = _dept_fleet(
        make_spec,
        {"temp": "float"},
        {"name": "features", "kind": "covariates", "path": "features.csv"},
    )
    data = load_fleet_data(spec, now=NOW)
    finding = next(f for f in data.findings if f.check == "nulls" and f.tenant == "2-1")
    assert finding.examples == ("features.csv line 6",)


def test_a_covariate_without_a_matching_row_cites_the_sales_line_and_says_so(
    make_spec: Spec, write_file: Write, sales: Path
) -> None:
    rows = [f"{s},2024-01-{d:02d},1" for s in (1, 2) for d in (5, 12, 19) if (s, d) != (1, 19)]
    write_file("features.csv", "store,date,temp\n" + "\n".join(rows) + "\n")
    spec = _dept_fleet(
        make_spec,
        {"temp": "float"},
        {"name": "features", "kind": "covariates", "path": "features.csv"},
    )
    data = load_fleet_data(spec, now=NOW)
    finding = next(f for f in data.findings if f.check == "nulls" and f.tenant == "1-1")
    assert finding.examples == ("data/sales.csv line 4 (no matching row in source 'features')",)


def test_an_explicit_join_on_column_the_file_lacks_names_it_and_the_fix(
    make_spec: Spec, write_file: Write, sales: Path
) -> None:
    write_file("features.csv", "date,temp\n2024-01-05,1\n")
    spec = _dept_fleet(
        make_spec,
        {"temp": "float"},
        {
            "name": "features",
            "kind": "covariates",
            "path": "features.csv",
            "join_on": ["date", "store"],
        },
    )
    with pytest.raises(SourceError) as caught:
        load_fleet_data(spec, now=NOW)
    message = caught.value.message
    assert "features.csv" in message and "'store' (required" in message
    assert "'date', 'temp'" in message
    assert "sources[features].join_on names ['date', 'store']" in message
