"""Builders of autopilot facts and action records for the pure decision tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from modelfleet.monitoring.autopilot.plan import LiveFacts, Rules
from modelfleet.monitoring.performance import PerformanceRow
from modelfleet.store.autopilot import ActionRow

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def rules() -> Rules:
    """prod after dev and staging, canary rollouts, the default thresholds."""
    return Rules(environment="prod", earlier=("dev", "staging"))


ActionFactory = Callable[..., ActionRow]


@pytest.fixture
def action() -> ActionFactory:
    """``action(kind, status, version=..., ago=timedelta, **figures)``: one stored action."""
    counter = iter(range(1, 10_000))

    def build(
        kind: str,
        status: str,
        version: str | None = "1.0.0",
        ago: timedelta = timedelta(hours=1),
        **figures: Any,
    ) -> ActionRow:
        return ActionRow(
            id=next(counter),
            pass_id="p",
            fleet="f",
            environment="prod",
            tenant="t1",
            kind=kind,
            version=version,
            status=status,
            reason=f"{kind} {status}",
            figures=json.dumps(figures),
            at=NOW - ago,
            actor="autopilot",
            decided_by="alice" if status in ("approved", "rejected") else None,
            decided_at=NOW if status in ("approved", "rejected") else None,
        )

    return build


def perf(version: str, wmape: float, rows: int = 20, holdout: float | None = 0.1) -> PerformanceRow:
    """A champion row over the whole window."""
    change = None if holdout is None else wmape / holdout - 1
    return PerformanceRow(
        tenant="t1",
        version=version,
        arm="champion",
        period="all",
        rows=rows,
        wmape=wmape,
        mae=1.0,
        rmse=1.0,
        holdout_wmape=holdout,
        change=change,
        degraded=change is not None and change > 0.05 and rows >= 7,
    )


def live(
    version: str = "1.0.0",
    *,
    age: timedelta = timedelta(days=3),
    entered: timedelta | None = None,
    previous: str | None = None,
    performance: PerformanceRow | None = None,
    previous_performance: PerformanceRow | None = None,
) -> LiveFacts:
    """The live version's facts, ``age`` old, entered ``entered`` ago."""
    return LiveFacts(
        version=version,
        created_at=NOW - age,
        entered_at=None if entered is None else NOW - entered,
        previous=previous,
        performance=performance,
        previous_performance=previous_performance,
    )
