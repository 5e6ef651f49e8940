"""Stale fleet runs on a real store: shown interrupted, then marked so by the next train."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from tests.unit.api.seed import build_run

from modelfleet.tracking.lease import Owner
from modelfleet.tracking.tracker import Tracker


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(child.stdout)


def _crashed(tracker: Tracker) -> str:
    """A fleet run whose process died after recording two tenants of five."""
    owner = Owner(socket.gethostname(), _dead_pid())
    fleet_run = tracker.start_fleet_run("demand", "dev", "cfg", actor="ana", owner=owner)
    tracker.renew_lease(fleet_run, planned=5)
    tracker.record_runs([build_run(t, 0.2, 0.3, fleet_run_id=fleet_run) for t in ("s1", "s2")])
    return fleet_run


def test_a_run_whose_process_died_is_listed_as_interrupted_with_done_and_left(
    tmp_path: Path,
) -> None:
    with Tracker.open(f"sqlite:///{tmp_path / 'm.db'}") as tracker:
        fleet_run = _crashed(tracker)
        shown = tracker.get_fleet_run(fleet_run)

    assert (shown.status, shown.done, shown.left, shown.actor) == ("interrupted", 2, 3, "ana")


def test_interrupting_stale_runs_writes_it_once_and_leaves_live_runs(tmp_path: Path) -> None:
    with Tracker.open(f"sqlite:///{tmp_path / 'm.db'}") as tracker:
        fleet_run = _crashed(tracker)
        live = tracker.start_fleet_run("demand", "dev", "cfg")  # this process: alive

        first = tracker.interrupt_stale("demand", "dev")
        again = tracker.interrupt_stale("demand", "dev")
        live_status = tracker.get_fleet_run(live).status

    assert [(r.id, r.status, r.succeeded) for r in first] == [(fleet_run, "interrupted", 2)]
    assert again == []
    assert live_status == "running"


def test_another_environments_stale_run_is_left_to_its_own_train(tmp_path: Path) -> None:
    with Tracker.open(f"sqlite:///{tmp_path / 'm.db'}") as tracker:
        _crashed(tracker)

        assert tracker.interrupt_stale("demand", "prod") == []
