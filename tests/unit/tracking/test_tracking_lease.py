"""The lease rules: a running fleet run is stale exactly when its owner is gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from modelfleet.tracking.lease import LEASE_SECONDS, Owner, is_stale, process_alive
from modelfleet.tracking.records import FleetRunRecord

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
HERE = Owner("box-a", 100)


def _run(**fields: object) -> FleetRunRecord:
    values: dict[str, object] = {
        "id": "f" * 32,
        "fleet": "demand",
        "environment": "dev",
        "status": "running",
        "started_at": NOW - timedelta(hours=1),
        "finished_at": None,
        "config_hash": "h",
        "owner_host": "box-a",
        "owner_pid": 200,
        "heartbeat_at": NOW - timedelta(seconds=5),
    }
    values.update(fields)
    return FleetRunRecord(**values)  # type: ignore[arg-type]


def _stale(run: FleetRunRecord, *, alive: bool) -> bool:
    return is_stale(run, now=NOW, here=HERE, alive=lambda _pid: alive)


def test_a_run_whose_process_died_on_this_host_is_stale_at_once() -> None:
    assert _stale(_run(), alive=False)


def test_a_run_whose_process_lives_on_this_host_is_not_stale() -> None:
    assert not _stale(_run(), alive=True)


def test_this_process_never_sees_its_own_run_as_stale() -> None:
    assert not _stale(_run(owner_pid=HERE.pid, heartbeat_at=NOW - timedelta(days=1)), alive=False)


def test_another_hosts_run_is_stale_only_after_the_lease() -> None:
    fresh = _run(owner_host="box-b", heartbeat_at=NOW - timedelta(seconds=LEASE_SECONDS - 1))
    old = _run(owner_host="box-b", heartbeat_at=NOW - timedelta(seconds=LEASE_SECONDS + 1))

    assert not _stale(fresh, alive=False)
    assert _stale(old, alive=True)


def test_a_reused_pid_with_an_old_heartbeat_is_stale() -> None:
    assert _stale(_run(heartbeat_at=NOW - timedelta(seconds=LEASE_SECONDS * 2)), alive=True)


def test_a_run_recorded_before_leases_is_judged_by_its_start() -> None:
    assert _stale(_run(owner_host=None, owner_pid=None, heartbeat_at=None), alive=True)


@pytest.mark.parametrize("status", ["succeeded", "partial", "failed", "interrupted"])
def test_a_finished_run_is_never_stale(status: str) -> None:
    assert not _stale(_run(status=status), alive=False)


def test_done_and_left_count_what_was_recorded_against_the_plan() -> None:
    run = _run(succeeded=3, rejected=1, failed=1, planned=9)

    assert (run.done, run.left) == (5, 4)
    assert _run().left is None


def test_this_process_is_alive_and_a_reaped_child_is_not() -> None:
    import subprocess
    import sys

    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )

    assert process_alive(Owner.this_process().pid)
    assert not process_alive(int(child.stdout))
