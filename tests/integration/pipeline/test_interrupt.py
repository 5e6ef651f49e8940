"""Ctrl-C midway: only whole tenant records stay, the fleet run says so, a re-run resumes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import modelfleet.pipeline.recording as recording_module
from modelfleet.artifacts import open_artifact_store
from modelfleet.client import Client
from modelfleet.data.demo import DemoData
from modelfleet.pipeline.executors import InlineExecutor
from modelfleet.tracking.records import FleetRunRecord, TenantRunRecord


@dataclass
class Interrupted:
    fleet_run_id: str
    runs: list[TenantRunRecord]  # what the store holds for the interrupted fleet run


def _only_fleet_run(client: Client) -> FleetRunRecord:
    (fleet_run,) = client.fleet_runs()
    return fleet_run


@pytest.fixture
def interrupted(
    client: Client, demo: DemoData, interrupting_executor: Callable[[int], Any]
) -> Interrupted:
    """The demo fleet trained until Ctrl-C arrives after two tenants came back."""
    with pytest.raises(KeyboardInterrupt):
        client.train(demo.spec_path, "dev", executor=interrupting_executor(2))
    fleet_run = _only_fleet_run(client)
    return Interrupted(fleet_run.id, client.runs(fleet_run_id=fleet_run.id))


def test_interrupted_run_keeps_the_tenants_that_came_back(interrupted: Interrupted) -> None:
    assert sorted(r.tenant for r in interrupted.runs) == ["1", "2"]


def test_interrupted_run_leaves_only_whole_records(
    interrupted: Interrupted, client: Client
) -> None:
    store = open_artifact_store(client.settings.artifacts_url)
    for run in interrupted.runs:
        assert run.status in ("succeeded", "rejected")
        assert run.metrics and run.baseline_metrics and run.params
        assert {a.name for a in run.artifacts} >= {"model", "model_meta"}
        assert all(store.exists(a.digest) for a in run.artifacts)


def test_interrupted_fleet_run_is_marked_interrupted(
    interrupted: Interrupted, client: Client
) -> None:
    fleet_run = _only_fleet_run(client)

    assert fleet_run.status == "interrupted"
    assert fleet_run.finished_at is not None


def test_rerun_after_an_interrupt_trains_exactly_the_missing_tenants(
    interrupted: Interrupted, client: Client, demo: DemoData, demo_tenants: tuple[str, ...]
) -> None:
    done = {r.tenant for r in interrupted.runs}

    again = client.train(demo.spec_path, "dev", executor=InlineExecutor())

    assert sorted(r.tenant for r in again.records) == sorted(set(demo_tenants) - done)
    assert sorted(again.skipped) == sorted(done)
    assert again.status == "succeeded"


def test_interrupted_fleet_run_counts_the_tenants_it_recorded(
    interrupted: Interrupted, client: Client
) -> None:
    fleet_run = _only_fleet_run(client)
    statuses = [r.status for r in interrupted.runs]

    assert (fleet_run.succeeded, fleet_run.rejected, fleet_run.failed) == (
        statuses.count("succeeded"),
        statuses.count("rejected"),
        statuses.count("failed"),
    )


class _CtrlCOnSecondTenant:
    """A progress listener where Ctrl-C lands while it draws the second finished tenant."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def stage(self, message: str) -> None:
        pass

    def started(self, total: int, skipped: int) -> None:
        pass

    def tenant_finished(self, record: TenantRunRecord) -> None:
        self.seen.append(record.tenant)
        if len(self.seen) == 2:
            raise KeyboardInterrupt


@pytest.fixture
def flush_every_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """Write each tenant record as soon as it arrives (not in batches of 64 / one second)."""
    monkeypatch.setattr(recording_module, "FLUSH_EVERY", 1)


@pytest.mark.usefixtures("flush_every_record")
def test_ctrl_c_in_the_listener_interrupts_the_run_and_keeps_written_tenants(
    client: Client, demo: DemoData, demo_tenants: tuple[str, ...]
) -> None:
    listener = _CtrlCOnSecondTenant()

    with pytest.raises(KeyboardInterrupt):
        client.train(demo.spec_path, "dev", executor=InlineExecutor(), listener=listener)

    fleet_run = _only_fleet_run(client)
    assert fleet_run.status == "interrupted"
    assert sorted(r.tenant for r in client.runs()) == sorted(listener.seen)
    again = client.train(demo.spec_path, "dev", executor=InlineExecutor())
    assert sorted(r.tenant for r in again.records) == sorted(set(demo_tenants) - set(listener.seen))
