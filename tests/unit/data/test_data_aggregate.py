"""sources[].aggregate: rows rolled up per key and period in DuckDB, rules checked by type."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest

from modelfleet.config.spec import FleetSpec
from modelfleet.data.ingest import load_fleet_data
from modelfleet.errors import ConfigError

from .conftest import weekly_rows

NOW = datetime(2030, 1, 1)
Spec = Callable[..., FleetSpec]
Write = Callable[[str, str], Path]


def _store_fleet(make_spec: Spec, declared: dict[str, str], /, **aggregate: Any) -> FleetSpec:
    return make_spec(
        schema={
            "tenant_key": "store",
            "timestamp": "date",
            "target": "sales",
            "columns": declared,
        },
        sources=[{"name": "sales", "path": "sales.csv", "aggregate": aggregate}],
        validation={"horizon": 1, "min_train_periods": 1},
    )


def _values(spec: FleetSpec, column: str) -> list[Any]:
    data = load_fleet_data(spec, now=NOW)
    return list(data.table[column].to_pylist())


def test_departments_sum_to_one_row_per_store_and_week(make_spec: Spec, write_file: Write) -> None:
    write_file("sales.csv", weekly_rows(stores=2, depts=3, weeks=4))
    spec = _store_fleet(make_spec, {}, columns={"sales": "sum"})
    data = load_fleet_data(spec, now=NOW)
    assert data.table.num_rows == 8
    first = data.tenant_table("1")
    assert first["sales"].to_pylist() == [60.0, 63.0, 66.0, 69.0]  # 10+20+30 plus 3 * week
    assert not [f for f in data.findings if f.check == "duplicates"]


# Three rows of one store and week, then a second week (two periods: enough history to load).
_GROUP = (
    "store,date,sales,v\n1,2024-01-05,1,{}\n1,2024-01-05,2,{}\n1,2024-01-05,3,{}\n1,2024-01-12,4,\n"
)


@pytest.mark.parametrize(
    ("rule", "kind", "cells", "expected"),
    [
        ("sum", "float", ("1.5", "", "2"), 3.5),
        ("mean", "float", ("1", "", "3"), 2.0),
        ("min", "int", ("4", "2", ""), 2),
        ("max", "str", ("b", "c", "a"), "c"),
        ("count", "int", ("7", "", "9"), 2),
        ("any", "bool", ("false", "", "true"), True),
        ("all", "bool", ("true", "", "false"), False),
        ("first", "str", ("", "b", "c"), "b"),
        ("last", "str", ("a", "b", ""), "b"),
    ],
)
def test_each_rule_ignores_nulls_and_keeps_the_canonical_type(
    make_spec: Spec, write_file: Write, rule: str, kind: str, cells: tuple[str, ...], expected: Any
) -> None:
    write_file("sales.csv", _GROUP.format(*cells))
    spec = _store_fleet(make_spec, {"v": kind}, columns={"sales": "sum", "v": rule})
    data = load_fleet_data(spec, now=NOW)
    assert data.table["v"].to_pylist()[0] == expected
    assert (
        str(data.table.schema.field("v").type)
        == {
            "float": "double",
            "int": "int64",
            "str": "string",
            "bool": "bool",
        }[kind]
    )


def test_a_column_without_a_rule_is_an_error_naming_source_column_and_rules(
    make_spec: Spec, write_file: Write
) -> None:
    write_file("sales.csv", _GROUP.format(1, 2, 3))
    spec = _store_fleet(make_spec, {"v": "int"}, columns={"sales": "sum"})
    with pytest.raises(ConfigError) as caught:
        load_fleet_data(spec, now=NOW)
    message = caught.value.message
    assert "sources[sales].aggregate.columns has no rule for ['v']" in message
    assert "sum, mean, min, max, count, any, all, first, last" in message


@pytest.mark.parametrize(
    ("rule", "kind", "why"),
    [
        ("any", "float", "any/all combine booleans"),
        ("sum", "str", "sum adds numbers"),
        ("mean", "int", "mean gives fractions"),
        ("count", "str", "count gives a number of rows"),
    ],
)
def test_a_rule_of_the_wrong_type_is_an_error_naming_the_type(
    make_spec: Spec, write_file: Write, rule: str, kind: str, why: str
) -> None:
    write_file("sales.csv", _GROUP.format(1, 2, 3))
    spec = _store_fleet(make_spec, {"v": kind}, columns={"sales": "sum", "v": rule})
    with pytest.raises(ConfigError) as caught:
        load_fleet_data(spec, now=NOW)
    assert f"aggregate.columns.v: '{rule}' does not apply to 'v', a {kind} column" in str(
        caught.value.message
    )
    assert why in caught.value.message


def test_a_rule_for_a_column_the_source_lacks_is_an_error(
    make_spec: Spec, write_file: Write
) -> None:
    write_file("sales.csv", _GROUP.format(1, 2, 3))
    spec = _store_fleet(make_spec, {"v": "int"}, columns={"sales": "sum", "v": "sum", "w": "max"})
    with pytest.raises(ConfigError, match=r"rule for \['w'\], which this source does not have"):
        load_fleet_data(spec, now=NOW)


def _daily(days: int, start: str = "2024-01-03") -> str:
    from datetime import date, timedelta

    first = date.fromisoformat(start)  # a Wednesday
    rows = [f"1,{first + timedelta(days=i)},1" for i in range(days)]
    return "store,date,sales\n" + "\n".join(rows) + "\n"


def test_period_buckets_days_into_weeks_labelled_by_their_friday(
    make_spec: Spec, write_file: Write
) -> None:
    write_file("sales.csv", _daily(7 * 4, start="2024-01-06"))  # Saturday: whole weeks only
    spec = _store_fleet(make_spec, {}, period="W-FRI", columns={"sales": "sum"})
    data = load_fleet_data(spec, now=NOW)
    stamps = [d.strftime("%a %Y-%m-%d") for d in data.table["date"].to_pylist()]
    assert stamps == ["Fri 2024-01-12", "Fri 2024-01-19", "Fri 2024-01-26", "Fri 2024-02-02"]
    assert data.table["sales"].to_pylist() == [7.0] * 4


def test_incomplete_edge_weeks_are_dropped_and_reported(make_spec: Spec, write_file: Write) -> None:
    write_file("sales.csv", _daily(30))  # Wed 2024-01-03 .. Thu 2024-02-01
    spec = _store_fleet(make_spec, {}, period="W-FRI", columns={"sales": "sum"})
    data = load_fleet_data(spec, now=NOW)
    assert data.table["sales"].to_pylist() == [7.0, 7.0, 7.0]
    (finding,) = [f for f in data.findings if f.check == "partial_periods"]
    assert (finding.severity, finding.count) == ("warning", 2)
    assert "in 1 series (tenant 1)" in finding.message
    assert "week ending 2024-01-05 has rows from 2024-01-03 to 2024-01-05" in finding.message
    assert "sales.csv line 2" in finding.message and "partial_periods: keep" in finding.message


def test_partial_periods_keep_keeps_the_edge_weeks(make_spec: Spec, write_file: Write) -> None:
    write_file("sales.csv", _daily(30))
    spec = _store_fleet(
        make_spec, {}, period="W-FRI", columns={"sales": "sum"}, partial_periods="keep"
    )
    assert _values(spec, "sales") == [3.0, 7.0, 7.0, 7.0, 6.0]


def test_daily_covariates_roll_up_to_the_weekly_fleet(make_spec: Spec, write_file: Write) -> None:
    write_file("sales.csv", weekly_rows(stores=1, depts=1, weeks=3, start="2024-01-12"))
    days = [f"2024-01-{d:02d},{d % 2}" for d in range(6, 27)]  # Sat 6th .. Fri 26th
    write_file("calendar.csv", "date,promo\n" + "\n".join(days) + "\n")
    spec = make_spec(
        schema={
            "tenant_key": ["store", "dept"],
            "timestamp": "date",
            "target": "sales",
            "columns": {"promo": "int"},
        },
        sources=[
            {"name": "sales", "path": "sales.csv"},
            {
                "name": "calendar",
                "kind": "covariates",
                "path": "calendar.csv",
                "aggregate": {"period": "W-FRI", "columns": {"promo": "sum"}},
            },
        ],
        validation={"horizon": 1, "min_train_periods": 1},
    )
    data = load_fleet_data(spec, now=NOW)
    assert data.table["promo"].to_pylist() == [3, 4, 3]  # odd days per Sat..Fri week


def test_a_shared_source_split_by_tenant_is_rolled_up_for_every_tenant(
    make_spec: Spec, write_file: Write
) -> None:
    write_file("sales.csv", weekly_rows(stores=3, depts=2, weeks=2))
    spec = _store_fleet(make_spec, {}, columns={"sales": "sum"})
    data = load_fleet_data(spec, now=NOW)
    counts = pc.value_counts(data.table["_tenant"]).to_pylist()
    assert sorted((c["values"], c["counts"]) for c in counts) == [("1", 2), ("2", 2), ("3", 2)]


def test_a_tenant_own_override_source_is_rolled_up_too(make_spec: Spec, write_file: Write) -> None:
    write_file("sales.csv", weekly_rows(stores=2, depts=1, weeks=3))
    nine = weekly_rows(stores=1, depts=2, weeks=3).replace("\n1,", "\n9,")
    write_file("nine.csv", nine)
    spec = make_spec(
        schema={"tenant_key": "store", "timestamp": "date", "target": "sales"},
        validation={"horizon": 1, "min_train_periods": 1},
        tenants={
            "overrides": {
                "9": {
                    "sources": [
                        {
                            "name": "sales",
                            "path": "nine.csv",
                            "aggregate": {"columns": {"sales": "sum"}},
                        }
                    ]
                }
            }
        },
    )
    data = load_fleet_data(spec, now=NOW)
    assert data.tenant_table("9")["sales"].to_pylist() == [30.0, 32.0, 34.0]
    assert "9" not in data.failed
