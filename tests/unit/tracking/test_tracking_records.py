"""Records validate and normalise what they are given."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from modelfleet.tracking import (
    ArtifactRecord,
    FindingRecord,
    FleetRunRecord,
    TenantRunRecord,
    new_run_id,
)

MakeRecord = Callable[..., TenantRunRecord]


def test_new_run_ids_are_distinct_32_character_hex() -> None:
    ids = {new_run_id() for _ in range(100)}

    assert len(ids) == 100
    assert all(re.fullmatch(r"[0-9a-f]{32}", run_id) for run_id in ids)


def test_duration_is_seconds_from_start_to_finish(make_record: MakeRecord) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)

    record = make_record(started_at=start, finished_at=start + timedelta(seconds=90.5))

    assert record.duration_seconds == 90.5


def test_sequences_become_tuples_and_mappings_dicts(make_record: MakeRecord) -> None:
    artifact = ArtifactRecord("model", "lightgbm", "a" * 64, "file:///a", 1)

    record = make_record(artifacts=[artifact], metrics={"mae": 1})

    assert record.artifacts == (artifact,)
    assert record.metrics == {"mae": 1.0}
    assert isinstance(record.metrics["mae"], float)


def test_a_naive_start_time_is_refused(make_record: MakeRecord) -> None:
    with pytest.raises(ValueError, match="naive"):
        make_record(started_at=datetime(2024, 1, 1))


def test_an_unknown_run_status_is_refused(make_record: MakeRecord) -> None:
    with pytest.raises(ValueError, match="run status 'done'"):
        make_record(status="done")


def test_finding_examples_become_a_tuple() -> None:
    finding = FindingRecord("nulls", "warning", "x", 2, "m", ["a", "b"])  # type: ignore[arg-type]

    assert finding.examples == ("a", "b")


def test_a_fleet_run_counts_all_its_tenants() -> None:
    fleet_run = FleetRunRecord(
        "f", "demand", "dev", "partial", datetime.now(UTC), None, "cfg", 5, 2, 1, 3
    )

    assert fleet_run.total == 11
