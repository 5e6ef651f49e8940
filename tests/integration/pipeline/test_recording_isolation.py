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

LONG = "t" * 300  # the store keeps it; the registry refuses model names past 200 characters


@pytest.fixture
def tracker(tmp_path: Path) -> Tracker:
    opened = Tracker.open(f"sqlite:///{tmp_path / 'm.db'}")
    yield opened  # type: ignore[misc]
    opened.close()


def _recorder(tracker: Tracker) -> Recorder:
    registry = Registry(tracker.store)
    return Recorder(tracker, registry, SilentListener(), caller=Caller("trainer"))


def test_a_tenant_that_cannot_be_registered_fails_alone(tracker: Tracker) -> None:
    fleet_run = tracker.start_fleet_run("demand", "dev", "cfg")
    recorder = _recorder(tracker)
    for tenant in ("s1", LONG, "s2"):
        recorder.add(build_run(tenant, 0.2, 0.3, fleet_run_id=fleet_run, signature=SIGNATURE))

    recorder.flush()

    assert recorder.versions == {"s1": "1.0.0", "s2": "1.0.0"}
    assert list(recorder.unregistered) == [LONG]
    assert "tenant" in recorder.unregistered[LONG]
    assert recorder.status() == "partial"


def test_a_broken_store_is_raised_not_isolated(tracker: Tracker, tmp_path: Path) -> None:
    fleet_run = tracker.start_fleet_run("demand", "dev", "cfg")
    recorder = _recorder(tracker)
    with sqlite3.connect(tmp_path / "m.db") as raw:  # every insert of a run now fails
        raw.execute("DROP TABLE params")
    recorder.pending.append(build_run("s1", 0.2, 0.3, fleet_run_id=fleet_run))

    with pytest.raises(StoreError):
        recorder.flush()
    assert recorder.written == []
