"""One tenant whose registration or record cannot be written fails alone; the rest land."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests.unit.api.seed import SIGNATURE, build_run

from modelfleet.caller import Caller
from modelfleet.errors import StoreError
from modelfleet.pipeline.recording import Recorder, SilentListener
from modelfleet.registry import Registry
from modelfleet.tracking.tracker import Tracker

LONG = "t" * 300  # past the tenant-id rule's 200 characters: no store or registry accepts it


@pytest.fixture
def tracker(tmp_path: Path) -> Tracker:
    opened = Tracker.open(f"sqlite:///{tmp_path / 'm.db'}")
    yield opened  # type: ignore[misc]
    opened.close()


def _recorder(tracker: Tracker) -> Recorder:
    registry = Registry(tracker.store)
    return Recorder(tracker, registry, SilentListener(), caller=Caller("trainer"))


def test_a_tenant_that_cannot_be_recorded_fails_alone(tracker: Tracker) -> None:
    fleet_run = tracker.start_fleet_run("demand", "dev", "cfg")
    recorder = _recorder(tracker)
    for tenant in ("s1", LONG, "s2"):
        recorder.add(build_run(tenant, 0.2, 0.3, fleet_run_id=fleet_run, signature=SIGNATURE))

    recorder.flush()

    assert recorder.versions == {"s1": "1.0.0", "s2": "1.0.0"}
    assert list(recorder.unrecorded) == [LONG]
    assert "300 characters long" in recorder.unrecorded[LONG]
    assert (recorder.counts()["failed"], recorder.status()) == (1, "partial")
    assert sorted(r.tenant for r in tracker.list_runs()) == ["s1", "s2"]


def test_a_broken_store_is_raised_not_isolated(tracker: Tracker, tmp_path: Path) -> None:
    fleet_run = tracker.start_fleet_run("demand", "dev", "cfg")
    recorder = _recorder(tracker)
    with sqlite3.connect(tmp_path / "m.db") as raw:  # every insert of a run now fails
        raw.execute("DROP TABLE params")
    recorder.pending.append(build_run("s1", 0.2, 0.3, fleet_run_id=fleet_run))

    with pytest.raises(StoreError):
        recorder.flush()
    assert recorder.written == []
