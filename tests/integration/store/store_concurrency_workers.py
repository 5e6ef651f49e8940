"""Worker processes for the concurrency tests, in a plain module a spawned child can import.

pytest imports test modules under names a fresh interpreter cannot import (importlib mode), so
``multiprocessing`` with "spawn" could not find a worker defined in the test file. The test puts
this folder on ``sys.path`` before starting workers, and the children inherit that path.
"""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier

from modelfleet.store import FleetRunRow, RunBundle, RunRow, open_store

RUNS_PER_WORKER = 200
TENANTS = 10
T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def _bundle(worker: int, n: int) -> RunBundle:
    started = T0 + timedelta(seconds=n)
    return RunBundle(
        RunRow(
            id=f"{worker:08x}{n:024x}",
            fleet_run_id=f"fr-{worker}",
            fleet="demand",
            tenant=f"store-{n % TENANTS}",  # shared tenants: both workers upsert the same rows
            environment="dev",
            status="succeeded",
            task_key=f"task-{worker}-{n}",
            config_hash="cfg",
            data_fingerprint=None,
            model_family="naive",
            code_version=None,
            reason=None,
            started_at=started,
            finished_at=started + timedelta(seconds=1),
            duration_seconds=1.0,
        )
    )


def write_runs(url: str, worker: int, barrier: Barrier) -> None:
    """Wait for the other worker, open the store, then record runs one transaction each."""
    barrier.wait(timeout=60)
    with open_store(url) as store:
        store.add_fleet_run(FleetRunRow(f"fr-{worker}", "demand", "dev", "running", T0, None, "c"))
        for n in range(RUNS_PER_WORKER):
            store.add_runs([_bundle(worker, n)])


def run_two_workers(url: str) -> list[int | None]:
    """Run two spawned writers against ``url`` at the same moment; return their exit codes."""
    context = multiprocessing.get_context("spawn")  # fresh interpreters, like two CLI commands
    barrier = context.Barrier(2)
    workers = [context.Process(target=write_runs, args=(url, w, barrier)) for w in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return [worker.exitcode for worker in workers]
