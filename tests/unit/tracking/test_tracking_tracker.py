"""The Tracker records fleet runs and tenant runs and reads them back as records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from modelfleet.errors import NotFoundError, StoreError
from modelfleet.tracking import TenantRunRecord, Tracker
from modelfleet.tracking.signature import Signature, SignatureField

MakeRecord = Callable[..., TenantRunRecord]
T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """Collect every SQL statement any engine sends while the block runs."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


# -- fleet runs -----------------------------------------------------------------------------


def test_a_started_fleet_run_is_running_since_now(tracker: Tracker) -> None:
    fleet_run_id = tracker.start_fleet_run("demand", "dev", "cfg-1")

    fleet_run = tracker.get_fleet_run(fleet_run_id)
    assert (fleet_run.fleet, fleet_run.environment, fleet_run.status) == (
        "demand",
        "dev",
        "running",
    )
    assert fleet_run.started_at == T0  # the fixture clock's first tick
    assert fleet_run.finished_at is None


def test_a_finished_fleet_run_has_its_status_counts_and_end_time(
    tracker: Tracker, fleet_run_id: str
) -> None:
    tracker.finish_fleet_run(fleet_run_id, "partial", succeeded=8, rejected=1, failed=1, skipped=2)

    fleet_run = tracker.get_fleet_run(fleet_run_id)
    counts = (fleet_run.succeeded, fleet_run.rejected, fleet_run.failed, fleet_run.skipped)
    assert (fleet_run.status, counts) == ("partial", (8, 1, 1, 2))
    assert fleet_run.finished_at == T0 + timedelta(seconds=1)


def test_a_fleet_run_cannot_finish_as_running(tracker: Tracker, fleet_run_id: str) -> None:
    with pytest.raises(ValueError, match="cannot finish as 'running'"):
        tracker.finish_fleet_run(
            fleet_run_id, "running", succeeded=0, rejected=0, failed=0, skipped=0
        )


def test_mark_interrupted_marks_a_running_fleet_run(tracker: Tracker, fleet_run_id: str) -> None:
    tracker.mark_interrupted(fleet_run_id)

    assert tracker.get_fleet_run(fleet_run_id).status == "interrupted"


def test_mark_interrupted_of_an_unknown_fleet_run_raises_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFoundError):
        tracker.mark_interrupted("missing")


def test_list_fleet_runs_filters_by_fleet(tracker: Tracker, fleet_run_id: str) -> None:
    tracker.start_fleet_run("churn", "dev", "cfg-2")

    assert [f.id for f in tracker.list_fleet_runs("demand")] == [fleet_run_id]


# -- tenant runs ----------------------------------------------------------------------------


def test_a_recorded_run_reads_back_equal_with_every_field(
    tracker: Tracker, full_record: Callable[[], TenantRunRecord]
) -> None:
    record = full_record()
    tracker.record_runs([record])

    assert tracker.get_run(record.run_id) == record


def test_a_recorded_runs_signature_reads_back(tracker: Tracker, make_record: MakeRecord) -> None:
    signature = Signature((SignatureField("region", "string", True),), SignatureField("y", "f8"))
    record = make_record(signature=signature)
    tracker.record_runs([record])

    assert tracker.get_run(record.run_id).signature == signature


def test_recording_runs_upserts_their_tenants(tracker: Tracker, make_record: MakeRecord) -> None:
    tracker.record_runs([make_record(tenant="north"), make_record(tenant="south")])

    assert [t.tenant for t in tracker.store.list_tenants("demand")] == ["north", "south"]


def test_a_batch_with_a_bad_run_records_none_of_it(
    tracker: Tracker, make_record: MakeRecord
) -> None:
    good = make_record()
    orphan = make_record(fleet_run_id="never-started")

    with pytest.raises(StoreError):
        tracker.record_runs([good, orphan])

    assert tracker.list_runs() == []


def test_completed_task_keys_skip_failed_runs(tracker: Tracker, make_record: MakeRecord) -> None:
    tracker.record_runs(
        [make_record(task_key="a"), make_record(task_key="b", status="failed", reason="boom")]
    )

    assert tracker.completed_task_keys("demand", "dev", {"a", "b", "c"}) == {"a"}


def test_list_runs_applies_every_filter(tracker: Tracker, make_record: MakeRecord) -> None:
    wanted = make_record(tenant="north", status="rejected", reason="worse than baseline")
    tracker.record_runs([wanted, make_record(tenant="north"), make_record(status="rejected")])

    listed = tracker.list_runs(
        fleet="demand",
        tenant="north",
        status="rejected",
        environment="dev",
        fleet_run_id=wanted.fleet_run_id,
    )
    assert [r.run_id for r in listed] == [wanted.run_id]


def test_list_runs_query_count_does_not_grow_with_the_number_of_runs(
    tracker: Tracker, make_record: MakeRecord
) -> None:
    tracker.record_runs([make_record() for _ in range(3)])
    with count_queries() as few:
        tracker.list_runs()
    tracker.record_runs([make_record() for _ in range(60)])
    with count_queries() as many:
        tracker.list_runs()

    assert len(many) == len(few)


def test_get_run_finds_a_run_by_its_short_id(tracker: Tracker, make_record: MakeRecord) -> None:
    record = make_record()
    tracker.record_runs([record])

    assert tracker.get_run(record.short_id).run_id == record.run_id


def test_get_run_of_an_unknown_id_raises_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFoundError):
        tracker.get_run("0123456789abcdef")


def test_open_by_url_creates_a_usable_sqlite_store(tmp_path: Path) -> None:
    with Tracker.open(f"sqlite:///{tmp_path / 'home' / 'mf.db'}") as tracker:
        fleet_run_id = tracker.start_fleet_run("demand", "dev", "cfg")

        assert tracker.list_fleet_runs()[0].id == fleet_run_id
