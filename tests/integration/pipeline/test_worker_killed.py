"""A worker process that dies mid-tenant (OOM killer, a crash in native code) in the real pool.

Store "1" trains with a model family whose ``fit`` calls ``os._exit``; every other store trains
normally. The family lives in a helper module the forkserver workers import by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

import modelfleet
from modelfleet.client import Client
from modelfleet.data.demo import DemoData
from modelfleet.pipeline.executors import LocalProcessExecutor
from modelfleet.pipeline.runner import FleetRunSummary

WORKER_DIED = "worker process died"
KILLER = "1"


@dataclass
class KilledRun:
    demo: DemoData
    client: Client
    summary: FleetRunSummary
    window: int  # tenants in flight at once


def _die_in(tenant: str, module: str) -> Callable[[dict], None]:
    def change(spec: dict) -> None:
        spec["tenants"]["overrides"][tenant] = {"model": {"family": f"sklearn:{module}.DieOnFit"}}

    return change


@pytest.fixture(scope="module")
def killed_run(
    tmp_path_factory: pytest.TempPathFactory,
    make_demo_fleet: Callable[..., DemoData],
    edit_spec: Callable[..., None],
    module_families: str,
) -> Iterator[KilledRun]:
    root = tmp_path_factory.mktemp("killed")
    demo = make_demo_fleet(root / "demo")
    edit_spec(demo.spec_path, _die_in(KILLER, module_families))
    # A window of two (the workers) so the tenants after the crash run on a fresh pool.
    window = 2
    with modelfleet.connect(home=str(root / "home"), environ={}) as client:
        summary = client.train(
            demo.spec_path, "dev", executor=LocalProcessExecutor(2, max_in_flight=window)
        )
        yield KilledRun(demo, client, summary, window)


pytestmark = pytest.mark.slow


def test_the_killed_tenant_is_recorded_failed_with_the_reason(killed_run: KilledRun) -> None:
    runs = {
        r.tenant: r for r in killed_run.client.runs(fleet_run_id=killed_run.summary.fleet_run_id)
    }

    assert runs[KILLER].status == "failed"
    assert WORKER_DIED in (runs[KILLER].reason or "")


def test_the_run_goes_on_and_records_every_tenant(
    killed_run: KilledRun, demo_tenants: tuple[str, ...]
) -> None:
    stored = killed_run.client.runs(fleet_run_id=killed_run.summary.fleet_run_id)
    failed = {r.tenant for r in stored if r.status == "failed"}

    assert sorted(r.tenant for r in stored) == sorted(demo_tenants)
    # Only tenants in flight beside the dying worker can go down with it.
    assert KILLER in failed and len(failed) <= killed_run.window
    assert all(WORKER_DIED in (r.reason or "") for r in stored if r.status == "failed")


def test_the_fleet_run_ends_partial_with_counts(killed_run: KilledRun) -> None:
    fleet_run = next(
        f for f in killed_run.client.fleet_runs() if f.id == killed_run.summary.fleet_run_id
    )

    assert killed_run.summary.status == fleet_run.status == "partial"
    assert fleet_run.failed == killed_run.summary.count("failed")
    assert fleet_run.succeeded + fleet_run.rejected + fleet_run.failed == len(
        killed_run.summary.records
    )


def test_the_killed_tenants_record_names_its_own_model_family(killed_run: KilledRun) -> None:
    record = next(r for r in killed_run.summary.records if r.tenant == KILLER)

    assert record.model_family.endswith(".DieOnFit")


def test_a_dead_worker_does_not_fail_the_tenants_queued_beside_it(
    tmp_path: Path,
    demo: DemoData,
    edit_spec: Callable[..., None],
    test_families: ModuleType,
) -> None:
    module = test_families.__name__

    tenants = ("1", "2", "3")
    markers = tmp_path / "markers"
    markers.mkdir()

    def slow_fleet_with_a_killer(spec: dict) -> None:
        # Store 1's worker dies once another store has started fitting, and that store holds
        # until then: it is certainly in flight (and the third queued) when the worker dies.
        spec["model"] = {
            "family": f"sklearn:{module}.SleepyMean",
            "params": {"seconds": 0.2, "marker_dir": str(markers), "hold_until_death": True},
        }
        spec["tenants"]["include"] = list(tenants)
        spec["tenants"]["overrides"][KILLER] = {
            "model": {
                "family": f"sklearn:{module}.DieOnFit",
                "params": {"wait_for": 1, "marker_dir": str(markers)},
            }
        }

    edit_spec(demo.spec_path, slow_fleet_with_a_killer)

    with modelfleet.connect(home=str(tmp_path / "home"), environ={}) as client:
        summary = client.train(demo.spec_path, "dev", executor=LocalProcessExecutor(2))

    assert {r.tenant: r.status == "failed" for r in summary.records} == {
        t: t == KILLER for t in tenants
    }
