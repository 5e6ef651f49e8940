"""compare_runs lays runs side by side and flags the rows that differ."""

from __future__ import annotations

import math
from collections.abc import Callable

from modelfleet.tracking import TenantRunRecord, compare_runs

MakeRecord = Callable[..., TenantRunRecord]


def test_columns_are_labelled_tenant_at_short_id(make_record: MakeRecord) -> None:
    first, second = make_record(tenant="north"), make_record(tenant="south")

    table = compare_runs([first, second])

    assert table.columns == (f"north@{first.run_id[:8]}", f"south@{second.run_id[:8]}")
    assert table.run_ids == (first.run_id, second.run_id)


def test_metrics_are_side_by_side_with_none_where_a_run_lacks_one(make_record: MakeRecord) -> None:
    table = compare_runs(
        [make_record(metrics={"mae": 1.0, "rmse": 2.0}), make_record(metrics={"mae": 1.5})]
    )

    rows = {row.key: row.values for row in table.section("metric")}
    assert rows == {"mae": (1.0, 1.5), "rmse": (2.0, None)}


def test_only_rows_with_different_values_are_flagged(make_record: MakeRecord) -> None:
    table = compare_runs(
        [
            make_record(params={"lr": 0.1, "leaves": 31}),
            make_record(params={"lr": 0.1, "leaves": 63}),
        ]
    )

    assert {row.key for row in table.section("param") if row.differs} == {"leaves"}


def test_nan_metrics_in_every_run_do_not_count_as_different(make_record: MakeRecord) -> None:
    table = compare_runs(
        [make_record(metrics={"mape": math.nan}), make_record(metrics={"mape": math.nan})]
    )

    (row,) = table.section("metric")
    assert not row.differs


def test_sections_come_in_order_run_metric_baseline_param(make_record: MakeRecord) -> None:
    table = compare_runs([make_record()])

    sections = list(dict.fromkeys(row.section for row in table.rows))
    assert sections == ["run", "metric", "baseline", "param"]


def test_comparing_no_runs_gives_an_empty_table() -> None:
    table = compare_runs([])

    assert (table.columns, table.rows) == ((), ())
