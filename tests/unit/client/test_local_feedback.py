"""Feedback records on the local plane: the spec is the caller's, as promotion's policy is."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.unit.api.seed import FLEET, SPEC, Seeded, seed_home, write_spec

from modelfleet.caller import Caller
from modelfleet.client import LocalPlane
from modelfleet.config.spec import load_spec
from modelfleet.errors import UsageError
from modelfleet.monitoring.feedback import Actual

YESTERDAY = datetime.now(UTC).date() - timedelta(days=1)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    return seed_home(tmp_path_factory.mktemp("local-feedback"))


@pytest.fixture
def plane(seeded: Seeded) -> Iterator[LocalPlane]:
    local = LocalPlane(seeded.settings, Caller("alice"))
    yield local
    local.close()


def test_records_without_a_spec_are_refused_saying_to_pass_one(plane: LocalPlane) -> None:
    with pytest.raises(UsageError, match="pass spec="):
        plane.feedback(FLEET, [Actual("s1", YESTERDAY, 1.0)], None)


def test_the_spec_of_another_fleet_is_refused_naming_both(
    plane: LocalPlane, tmp_path: Path
) -> None:
    other = load_spec(write_spec(tmp_path, {**SPEC, "name": "other"}))

    with pytest.raises(UsageError, match="'other', not 'demand'"):
        plane.feedback(FLEET, [Actual("s1", YESTERDAY, 1.0)], other)


def test_the_source_recorded_says_how_and_by_whom_records_came(
    plane: LocalPlane, seeded: Seeded
) -> None:
    report = plane.feedback(FLEET, [Actual("s3", YESTERDAY, 2.0)], load_spec(seeded.spec_path))

    assert report.source == "records via local by alice"


@pytest.mark.parametrize(
    "ts",
    [
        date(2026, 1, 5),
        datetime(2026, 1, 5),
        datetime(2026, 1, 5, 1, tzinfo=UTC) - timedelta(hours=1),
    ],
)
def test_a_date_a_naive_midnight_and_an_aware_midnight_are_one_actual(
    plane: LocalPlane, seeded: Seeded, ts: Any
) -> None:
    spec = load_spec(seeded.spec_path)
    plane.feedback(FLEET, [Actual("s2", date(2026, 1, 5), 7.0)], spec)

    assert plane.feedback(FLEET, [Actual("s2", ts, 7.0)], spec).unchanged == 1


@pytest.mark.parametrize(
    ("actual", "field"),
    [
        (Actual("..", YESTERDAY, 1.0), "tenant"),
        (Actual("s1", YESTERDAY, float("inf")), "value"),
        (Actual("s1", YESTERDAY, 1.0, "not an id"), "request_id"),
    ],
)
def test_a_malformed_record_is_refused_naming_its_field(
    plane: LocalPlane, seeded: Seeded, actual: Actual, field: str
) -> None:
    with pytest.raises(UsageError, match=rf"records\.0\.{field}"):
        plane.feedback(FLEET, [actual], load_spec(seeded.spec_path))


def test_a_record_of_the_wrong_types_is_a_usage_error(plane: LocalPlane, seeded: Seeded) -> None:
    wrong = Actual("s1", "2026-01-05", 1.0)  # type: ignore[arg-type]

    with pytest.raises(UsageError, match="a date or datetime ts"):
        plane.feedback(FLEET, [wrong], load_spec(seeded.spec_path))
