"""Tasks are checked to pickle before a process pool starts, with an error naming the culprit."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from modelfleet.errors import ExecutorError
from modelfleet.pipeline.executors import InlineExecutor, LocalProcessExecutor
from modelfleet.pipeline.tenant import TenantTask


@dataclass(frozen=True)
class Job:
    tenant: str
    payload: Any


def payload_size(job: Job) -> int:
    return len(str(job.payload))


@pytest.fixture
def no_pool(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Starting a worker pool is recorded (and refused): the check must come before it."""
    started: list[str] = []

    def refuse(self: LocalProcessExecutor) -> None:
        started.append("pool")
        raise AssertionError("a worker pool was started")

    monkeypatch.setattr(LocalProcessExecutor, "_new_pool", refuse)
    return started


def test_unpicklable_task_field_fails_naming_the_tenant_and_field_before_any_worker(
    no_pool: list[str],
) -> None:
    jobs = [Job("s1", threading.Lock()), Job("s2", 1)]

    with pytest.raises(ExecutorError, match=r"Job of tenant 's1' \(its field 'payload'\)") as err:
        list(LocalProcessExecutor(2).run(payload_size, jobs))

    assert "lock" in str(err.value)
    assert no_pool == []


def test_unpicklable_task_function_fails_naming_it_before_any_worker(no_pool: list[str]) -> None:
    def local_function(job: Job) -> int:
        return 1

    with pytest.raises(ExecutorError, match=r"local_function.*does not pickle"):
        list(LocalProcessExecutor(2).run(local_function, [Job("s1", 1)]))

    assert no_pool == []


def test_tenant_task_with_an_open_connection_names_the_field(
    no_pool: list[str], make_task: Callable[..., TenantTask], frame: Callable[..., Any]
) -> None:
    task = make_task(frame(30), lineage={"connection": threading.Lock()})

    with pytest.raises(ExecutorError, match=r"TenantTask of tenant 's1' \(its field 'lineage'\)"):
        list(LocalProcessExecutor(2).run(payload_size, [task]))


def test_no_items_start_no_pool(no_pool: list[str]) -> None:
    assert list(LocalProcessExecutor(2).run(payload_size, [])) == []
    assert no_pool == []


def test_inline_executor_runs_tasks_that_do_not_pickle() -> None:
    (outcome,) = InlineExecutor().run(lambda job: job.tenant, [Job("s1", threading.Lock())])

    assert outcome.result == "s1"
