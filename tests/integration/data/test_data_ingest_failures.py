"""Bad input through load_fleet_data: shared sources stop the fleet, a tenant's problems don't."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from modelfleet.config.spec import FleetSpec
from modelfleet.data.ingest import load_fleet_data
from modelfleet.errors import SourceError

Build = Callable[..., FleetSpec]
WriteCsv = Callable[..., Path]
Daily = Callable[..., pa.Table]
NOW = datetime(2030, 1, 1)


def _own_source(path: str, **extra: Any) -> dict[str, Any]:
    return {"sources": [{"name": "sales", "path": path, **extra}]}


# ----------------------------------------------------------------- shared sources stop the fleet
def test_missing_shared_file_raises_naming_the_source(make_spec: Build, tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        load_fleet_data(make_spec(), now=NOW)
    assert f"source 'sales' ({tmp_path / 'sales.csv'}): file not found" in str(caught.value)


def test_shared_file_without_the_target_raises_listing_columns(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["1"], 30).drop(["sales"]))
    with pytest.raises(SourceError) as caught:
        load_fleet_data(make_spec(), now=NOW)
    message = str(caught.value)
    assert "missing column(s) 'sales'" in message
    assert "The source has columns: 'store', 'date', 'promo'" in message


def test_shared_file_with_wrong_delimiter_raises_with_a_hint(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["1"], 30), delimiter=";")
    with pytest.raises(SourceError, match=r"set csv\.delimiter: ';'"):
        load_fleet_data(make_spec(), now=NOW)


def test_broken_shared_static_source_raises(
    make_spec: Build, write_csv: WriteCsv, daily: Daily, tmp_path: Path
) -> None:
    write_csv(daily(["1"], 30))
    (tmp_path / "stores.csv").write_bytes(b"\x00\x01\x02garbage")
    spec = make_spec(
        schema={
            "tenant_key": "store",
            "timestamp": "date",
            "target": "sales",
            "columns": {"promo": "int", "region": "str"},
        },
        sources=[
            {"name": "sales", "path": "sales.csv"},
            {"name": "stores", "kind": "static", "path": "stores.csv"},
        ],
    )
    with pytest.raises(
        SourceError, match=r"source 'stores' \(.*stores\.csv\): looks like a binary"
    ):
        load_fleet_data(spec, now=NOW)


def test_declared_column_in_no_source_raises(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["1"], 30))
    spec = make_spec(
        schema={
            "tenant_key": "store",
            "timestamp": "date",
            "target": "sales",
            "columns": {"promo": "int", "price": "float"},
        }
    )
    with pytest.raises(SourceError, match=r"schema.columns \['price'\] are not in any source"):
        load_fleet_data(spec, now=NOW)


# ----------------------------------------------------------------- a tenant's own source
def test_broken_own_file_fails_only_that_tenant(
    make_spec: Build, write_csv: WriteCsv, daily: Daily, tmp_path: Path
) -> None:
    write_csv(daily(["1", "2", "3"], 30))
    (tmp_path / "berlin.csv").write_text("Datum;Umsatz\n")  # header only
    spec = make_spec(tenants={"overrides": {"3": _own_source("berlin.csv")}})
    data = load_fleet_data(spec, now=NOW)
    assert data.tenants == ("1", "2")
    message = data.failed["3"]
    assert message.startswith("tenant 3: source 'sales' (")
    assert "berlin.csv" in message and "has a header but no data rows" in message
    (finding,) = data.findings
    assert (finding.tenant, finding.check, finding.severity) == ("3", "source", "error")


def test_own_file_missing_a_column_fails_only_that_tenant(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["1", "2"], 30))
    write_csv(daily(["2"], 30).drop(["sales"]), "own.csv")
    data = load_fleet_data(make_spec(tenants={"overrides": {"2": _own_source("own.csv")}}), now=NOW)
    assert data.tenants == ("1",)
    assert "missing column(s) 'sales'" in data.failed["2"]


def test_own_file_replaces_shared_rows_and_fills_the_key(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["1", "2"], 30))
    own = daily(["x"], 40).drop(["store"])  # 40 days, no store column
    write_csv(own, "own.csv")
    data = load_fleet_data(make_spec(tenants={"overrides": {"2": _own_source("own.csv")}}), now=NOW)
    assert data.tenants == ("1", "2")
    rows = data.tenant_table("2")
    assert rows.num_rows == 40
    assert set(rows["store"].to_pylist()) == {"2"}


def test_rows_for_other_tenants_in_an_own_file_are_dropped_with_a_warning(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["1", "2"], 30))
    write_csv(daily(["2", "1"], 30), "own.csv")
    data = load_fleet_data(make_spec(tenants={"overrides": {"2": _own_source("own.csv")}}), now=NOW)
    assert data.tenants == ("1", "2")
    assert data.tenant_table("2").num_rows == 30
    (finding,) = data.findings
    assert (finding.tenant, finding.check, finding.severity, finding.count) == (
        "2",
        "source",
        "warning",
        30,
    )
    assert finding.examples[0] == "own.csv line 32: '1'"


def test_excluded_tenants_files_are_never_read(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["1", "2"], 30))
    spec = make_spec(
        tenants={"exclude": ["2"], "overrides": {"2": _own_source("does-not-exist.csv")}}
    )
    data = load_fleet_data(spec, now=NOW)
    assert data.tenants == ("1",) and data.failed == {}


# ----------------------------------------------------------------- bad rows inside a tenant
def test_non_numeric_target_fails_the_tenant_naming_file_line_and_column(
    make_spec: Build, write_csv: WriteCsv, daily: Daily, tmp_path: Path
) -> None:
    write_csv(daily(["1", "2"], 30))
    path = tmp_path / "sales.csv"
    lines = path.read_text().splitlines()
    lines[40] = lines[40].replace(lines[40].split(",")[2], "twelve")  # a row of store 2
    path.write_text("\n".join(lines) + "\n")
    data = load_fleet_data(make_spec(), now=NOW)
    assert data.tenants == ("1",)
    message = data.failed["2"]
    assert message.startswith("tenant 2: 1 value(s) of column 'sales' in source 'sales'")
    assert "sales.csv line 41: 'twelve'" in message
    assert [f.check for f in data.findings] == ["types"]  # not also reported as a null


def test_bad_cells_of_tenants_not_loaded_are_not_reported(
    make_spec: Build, write_csv: WriteCsv, daily: Daily, tmp_path: Path
) -> None:
    write_csv(daily(["1", "2", "3"], 30))
    path = tmp_path / "sales.csv"
    lines = path.read_text().splitlines()
    for index in (35, 65):  # one row of store 2 (excluded), one of store 3 (has its own file)
        lines[index] = lines[index].replace(lines[index].split(",")[2], "oops")
    path.write_text("\n".join(lines) + "\n")
    write_csv(daily(["3"], 30), "own.csv")
    spec = make_spec(tenants={"exclude": ["2"], "overrides": {"3": _own_source("own.csv")}})
    data = load_fleet_data(spec, now=NOW)
    assert data.tenants == ("1", "3")
    assert data.findings == ()


def test_unparseable_dates_fail_the_tenant(
    make_spec: Build, write_csv: WriteCsv, daily: Daily, tmp_path: Path
) -> None:
    table = daily(["1", "2"], 30)
    text = table.set_column(
        1, "date", pc.strftime(table["date"].cast(pa.timestamp("s")), "%d/%m/%Y")
    )
    write_csv(text.filter(pc.equal(text["store"], "2")), "bad.csv")
    write_csv(table.filter(pc.equal(table["store"], "1")))
    # Shared file has store 1 with ISO dates; store 2's own file has day-first dates.
    data = load_fleet_data(make_spec(tenants={"overrides": {"2": _own_source("bad.csv")}}), now=NOW)
    assert data.tenants == ("1",)
    assert "of column 'date'" in data.failed["2"] and "csv.date_format" in data.failed["2"]


def test_duplicate_rows_fail_the_tenant(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    table = daily(["1", "2"], 30)
    write_csv(pa.concat_tables([table, table.slice(30, 2)]))
    data = load_fleet_data(make_spec(), now=NOW)
    assert data.tenants == ("1",)
    assert "2 timestamp(s) appear in more than one row" in data.failed["2"]
    assert "2024-01-01 (sales.csv line 32 and sales.csv line 62)" in data.failed["2"]


def test_future_timestamps_fail_the_tenant(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["1", "2"], 30))
    data = load_fleet_data(make_spec(), now=datetime(2024, 1, 28, 12))
    assert "2 row(s) are dated after now (2024-01-28 12:00)" in data.failed["1"]
    assert data.tenants == ()


def test_short_history_fails_only_that_tenant(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    table = daily(["1", "2"], 30)
    write_csv(pa.concat_tables([table.slice(0, 30), table.slice(30, 10)]))
    data = load_fleet_data(make_spec(), now=NOW)
    assert data.tenants == ("1",)
    assert "only 10 distinct period(s) of history; it needs at least 21" in data.failed["2"]


def test_per_tenant_validation_override_applies_to_that_tenant(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    table = daily(["1", "2"], 30)
    write_csv(pa.concat_tables([table.slice(0, 30), table.slice(30, 10)]))
    overrides = {"2": {"validation": {"horizon": 3, "min_train_periods": 5}}}
    data = load_fleet_data(make_spec(tenants={"overrides": overrides}), now=NOW)
    assert data.tenants == ("1", "2")


def test_null_keys_are_a_fleet_finding_and_rows_are_dropped(
    make_spec: Build, write_csv: WriteCsv, daily: Daily, tmp_path: Path
) -> None:
    write_csv(daily(["1"], 30))
    with (tmp_path / "sales.csv").open("a") as handle:
        handle.write(",2024-03-01,5,0\n")
    data = load_fleet_data(make_spec(), now=NOW)
    assert data.tenants == ("1",)
    (finding,) = data.findings
    assert (finding.tenant, finding.check, finding.column, finding.count) == (
        None,
        "nulls",
        "store",
        1,
    )
    assert finding.examples == ("sales.csv line 32",)
    assert "sales.csv" in finding.message and "tenant key 'store'" in finding.message


def test_ids_with_unsafe_characters_are_rejected_as_a_fleet_finding(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["ok", "Berlin Mitte", "a/b"], 30))
    data = load_fleet_data(make_spec(), now=NOW)
    assert data.tenants == ("ok",)
    (finding,) = data.findings
    assert (finding.tenant, finding.check, finding.count) == (None, "tenant_id", 2)
    assert finding.examples == ("Berlin Mitte", "a/b")


def test_dot_dot_long_and_non_ascii_ids_are_dropped_by_the_one_rule(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["ok", "..", ".", "x" * 201, "K\u00f6ln", "..."], 30))

    data = load_fleet_data(make_spec(), now=NOW)

    assert data.tenants == ("...", "ok")
    (finding,) = data.findings
    assert (finding.check, finding.count) == ("tenant_id", 4)
    assert "not '.' or '..'" in finding.message
