"""Actuals that name their request, end to end: records stored through the feedback path, then
scored by ``performance_report`` against that request's predictions only (a real SQLite home,
seeded without training: s1..s3 of fleet ``demand`` have versions)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from tests.unit.api.seed import FLEET, Seeded, seed_home

from modelfleet.caller import Caller
from modelfleet.client import LocalPlane
from modelfleet.config.spec import FleetSpec, load_spec
from modelfleet.monitoring.feedback import Actual
from modelfleet.monitoring.performance import PerformanceReport, performance_report
from modelfleet.store import MetadataStore
from modelfleet.store.predictions import PredictionRow

DAYS = [date(2026, 11, 1) + timedelta(days=i) for i in range(7)]
SINCE, UNTIL = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)


def _prediction(request_id: str, day: date, value: float, arm: str = "champion") -> PredictionRow:
    at = datetime.combine(day, datetime.min.time(), UTC)
    return PredictionRow(request_id, 0, FLEET, "s1", "dev", "1.0.0", arm, at, value, "{}", 1.0, at)


@pytest.fixture
def home(tmp_path: Path) -> Iterator[tuple[LocalPlane, MetadataStore, FleetSpec]]:
    """s1's two requests for each of seven days: ``a`` predicted 10, ``b`` predicted 20 (its
    shadow arm 30)."""
    seeded: Seeded = seed_home(tmp_path)
    plane = LocalPlane(seeded.settings, Caller("alice"))
    store = plane.metadata_store()
    rows = [_prediction("a", d, 10.0) for d in DAYS] + [_prediction("b", d, 20.0) for d in DAYS]
    store.add_predictions(rows + [_prediction("b", d, 30.0, "shadow") for d in DAYS])
    yield plane, store, load_spec(seeded.spec_path)
    plane.close()


def _report(store: MetadataStore) -> PerformanceReport:
    return performance_report(store, FLEET, "dev", SINCE, UNTIL)


def _mae(report: PerformanceReport) -> dict[str, float]:
    return {row.arm: row.mae for row in report.rows}


def test_actuals_naming_a_request_score_that_requests_predictions_only(
    home: tuple[LocalPlane, MetadataStore, FleetSpec],
) -> None:
    plane, store, spec = home
    plane.feedback(FLEET, [Actual("s1", d, 20.0, "b") for d in DAYS], spec)

    report = _report(store)

    assert _mae(report) == {"champion": 0.0, "shadow": 10.0}  # request a's 10s are not scored
    assert sum(row.rows for row in report.rows) == 2 * len(DAYS)


def test_actuals_without_a_request_id_score_every_prediction_of_their_date(
    home: tuple[LocalPlane, MetadataStore, FleetSpec],
) -> None:
    plane, store, spec = home
    plane.feedback(FLEET, [Actual("s1", d, 20.0) for d in DAYS], spec)

    report = _report(store)

    assert _mae(report) == {"champion": 5.0, "shadow": 10.0}  # a's 10s and b's 20s
    assert sum(row.rows for row in report.rows) == 3 * len(DAYS)


def test_an_unknown_request_id_is_reported_unmatched_not_dropped_unseen(
    home: tuple[LocalPlane, MetadataStore, FleetSpec],
) -> None:
    plane, store, spec = home
    plane.feedback(
        FLEET, [Actual("s1", DAYS[0], 20.0, "b"), Actual("s1", DAYS[1], 5.0, "zz")], spec
    )

    report = _report(store)

    assert report.unmatched == {"s1": 1}
    assert sum(row.rows for row in report.rows) == 2  # b's champion and shadow of DAYS[0]


def test_naming_the_request_of_an_actual_already_stored_unnamed_takes_effect(
    home: tuple[LocalPlane, MetadataStore, FleetSpec],
) -> None:
    plane, store, spec = home
    plane.feedback(FLEET, [Actual("s1", d, 20.0) for d in DAYS], spec)

    again = plane.feedback(FLEET, [Actual("s1", d, 20.0, "b") for d in DAYS], spec)

    assert again.unchanged == len(DAYS)  # the value is the same: counted unchanged
    assert _mae(_report(store)) == {"champion": 0.0, "shadow": 10.0}
