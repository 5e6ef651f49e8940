"""Frequency inference from each tenant's most common step; gaps vs a wrong frequency."""

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


FRIDAY = datetime(2012, 1, 6)


def test_most_common_step_ignores_gaps_and_repeats() -> None:
    daily = _every(1, 10) + _every(1, 10, datetime(2024, 6, 1))  # a five-month gap
    weekly = _every(7, 8)
    steps = tenant_steps(_table({"d": daily + daily[:2], "w": weekly}), "date")
    assert {t: p.mode_days for t, p in steps.items()} == {"d": 1.0, "w": 7.0}


def test_tenant_with_a_single_timestamp_has_no_step() -> None:
    assert tenant_steps(_table({"one": _every(1, 1)}), "date") == {}


@pytest.mark.parametrize(
    ("step", "expected"), [(1.0, "D"), (7.0, "W"), (1 / 24, None), (30.0, None)]
)
def test_classify_knows_daily_and_weekly(step: float, expected: str | None) -> None:
    assert classify(step) == expected


def test_most_tenants_decide_the_inferred_frequency() -> None:
    steps = tenant_steps(_table({"a": _every(7, 5), "b": _every(7, 5), "c": _every(1, 5)}), "date")
    assert infer_frequency(steps, None) == "W"


def test_declared_frequency_wins_over_the_data() -> None:
    assert infer_frequency(tenant_steps(_table({"a": _every(7, 5)}), "date"), "D") == "D"


def test_weekly_tenant_in_a_daily_fleet_is_a_frequency_error() -> None:
    steps = tenant_steps(_table({"a": _every(1, 9), "b": _every(7, 9)}), "date")
    (finding,) = frequency_findings(steps, "D", declared=True)
    assert (finding.tenant, finding.check, finding.severity) == ("b", "frequency", "error")
    assert "7 days apart" in finding.message and "daily (D)" in finding.message
    assert "declared in schema.frequency" in finding.message


def test_weekly_tenant_with_missing_weeks_is_a_gap_warning_not_an_error() -> None:
    weeks = _every(7, 30, FRIDAY)
    gappy = weeks[:8] + weeks[12:20] + weeks[22:]  # 4 then 2 weeks missing
    (finding,) = frequency_findings(tenant_steps(_table({"w": gappy}), "date"), "W", declared=True)
    assert (finding.severity, finding.count) == ("warning", 6)
    assert "weekly with 6 missing week(s) (longest gap 4 weeks, from 2012-03-02)" in finding.message
    assert "days apart" not in finding.message


def test_weeks_on_different_weekdays_are_a_frequency_error() -> None:
    fridays = _every(7, 10, FRIDAY)
    saturdays = _every(7, 10, FRIDAY + timedelta(days=71))  # continues on Saturdays
    (finding,) = frequency_findings(
        tenant_steps(_table({"w": fridays + saturdays}), "date"), "W", declared=True
    )
    assert finding.severity == "error"
    assert "different weekdays (Fri 10, Sat 10)" in finding.message


def test_complete_weekly_tenant_has_no_frequency_finding() -> None:
    steps = tenant_steps(_table({"w": _every(7, 20, FRIDAY)}), "date")
    assert frequency_findings(steps, "W", declared=True) == []
