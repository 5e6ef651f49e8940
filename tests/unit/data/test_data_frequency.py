"""Frequency inference from each tenant's median step, and mismatches as findings."""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa
import pytest

from modelfleet.data.frequency import (
    classify,
    frequency_findings,
    infer_frequency,
    tenant_steps,
)


def _table(rows: dict[str, list[datetime]]) -> pa.Table:
    tenants = [t for t, stamps in rows.items() for _ in stamps]
    stamps = [s for values in rows.values() for s in values]
    return pa.table({"_tenant": tenants, "date": pa.array(stamps, pa.timestamp("us"))})


def _every(days: int, count: int, start: datetime = datetime(2024, 1, 1)) -> list[datetime]:
    return [start + timedelta(days=days * i) for i in range(count)]


def test_median_step_ignores_gaps_and_repeats() -> None:
    daily = _every(1, 10) + _every(1, 10, datetime(2024, 6, 1))  # a five-month gap
    weekly = _every(7, 8)
    steps = tenant_steps(_table({"d": daily + daily[:2], "w": weekly}), "date")
    assert steps == {"d": 1.0, "w": 7.0}


def test_tenant_with_a_single_timestamp_has_no_step() -> None:
    assert tenant_steps(_table({"one": _every(1, 1)}), "date") == {}


@pytest.mark.parametrize(
    ("step", "expected"), [(1.0, "D"), (7.0, "W"), (1 / 24, None), (30.0, None)]
)
def test_classify_knows_daily_and_weekly(step: float, expected: str | None) -> None:
    assert classify(step) == expected


def test_most_tenants_decide_the_inferred_frequency() -> None:
    assert infer_frequency({"a": 7.0, "b": 7.0, "c": 1.0}, None) == "W"


def test_declared_frequency_wins_over_the_data() -> None:
    assert infer_frequency({"a": 7.0}, "D") == "D"


def test_mismatching_tenant_gets_an_error_naming_both_frequencies() -> None:
    (finding,) = frequency_findings({"a": 1.0, "b": 7.0}, "D", declared=True)
    assert (finding.tenant, finding.check, finding.severity) == ("b", "frequency", "error")
    assert "7 days apart" in finding.message and "daily (D)" in finding.message
    assert "declared in schema.frequency" in finding.message
