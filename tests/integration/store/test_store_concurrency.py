"""Two processes using one store at once: nothing is lost and nothing crashes.

Runs on the backends separate processes can share (SQLite file, PostgreSQL).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pytest

from modelfleet.store import RunQuery, open_store


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The worker module, importable by name here and in spawned children."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    return importlib.import_module("store_concurrency_workers")


def test_two_processes_opening_a_fresh_store_at_once_both_succeed(
    durable_store_url: str, workers: ModuleType
) -> None:
    # Neither worker finds the store migrated: both race to migrate it.
    assert workers.run_two_workers(durable_store_url) == [0, 0]

    with open_store(durable_store_url) as store:
        assert {fleet_run.id for fleet_run in store.list_fleet_runs()} == {"fr-1", "fr-2"}


def test_two_processes_writing_at_once_lose_nothing(
    durable_store_url: str, workers: ModuleType
) -> None:
    open_store(durable_store_url).close()  # migrated up front: this test is about the writes

    assert workers.run_two_workers(durable_store_url) == [0, 0]

    with open_store(durable_store_url) as store:
        runs = store.list_runs(RunQuery(limit=None))
        tenants = store.list_tenants("demand")
    assert len(runs) == 2 * workers.RUNS_PER_WORKER
    assert len(tenants) == workers.TENANTS
