"""The process pool under faults: limits, workers killed by signals, a dead fork server."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from multiprocessing import forkserver

import numpy as np
import pytest

from modelfleet.pipeline.executors import LocalProcessExecutor
from modelfleet.pipeline.task_watch import TaskLimits

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a POSIX process pool")


@dataclass(frozen=True)
class Job:
    n: int
    megabytes: int = 0
    sleep: float = 0.0
    limits: TaskLimits | None = None


def work(job: Job) -> int:
    block = np.ones(job.megabytes * (1 << 20) // 8) if job.megabytes else None
    if job.sleep:
        time.sleep(job.sleep)
    return job.n + (0 if block is None else int(block[0]) - 1)


def kill_self_on_three(n: int) -> int:
    if n == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.05)
    return n


def nap(n: int) -> int:
    time.sleep(0.2)
    return n


def test_a_task_over_its_memory_limit_fails_alone() -> None:
    jobs = [Job(n) for n in range(4)] + [Job(9, megabytes=600, sleep=2.0, limits=TaskLimits(500))]

    outcomes = {o.item.n: o for o in LocalProcessExecutor(2).run(work, jobs)}

    assert "memory limit of 500 MB" in (outcomes[9].error or "")
    assert (outcomes[9].usage.peak_rss_bytes or 0) > 500 << 20  # type: ignore[union-attr]
    assert [outcomes[n].result for n in range(4)] == [0, 1, 2, 3]


def test_a_task_over_its_time_limit_fails_within_a_second_or_so() -> None:
    jobs = [Job(0), Job(1, sleep=60.0, limits=TaskLimits(seconds=1.0)), Job(2)]
    started = time.monotonic()

    outcomes = {o.item.n: o for o in LocalProcessExecutor(2).run(work, jobs)}

    assert time.monotonic() - started < 20
    assert "time limit of 1 s" in (outcomes[1].error or "")
    assert (outcomes[0].result, outcomes[2].result) == (0, 2)


def test_a_task_that_keeps_killing_its_worker_fails_with_the_signal() -> None:
    outcomes = {o.item: o for o in LocalProcessExecutor(2).run(kill_self_on_three, range(8))}

    assert "worker process died (SIGKILL" in (outcomes[3].error or "")
    assert outcomes[3].usage is not None and outcomes[3].usage.exit_signal == signal.SIGKILL
    assert [outcomes[n].result for n in range(8) if n != 3] == [0, 1, 2, 4, 5, 6, 7]


def test_killing_the_fork_server_mid_run_loses_no_task() -> None:
    results = []
    for outcome in LocalProcessExecutor(2).run(nap, range(12)):
        results.append(outcome)
        if len(results) == 2:
            pid = forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]
            os.kill(pid, signal.SIGKILL)

    assert sorted(o.item for o in results) == list(range(12))
    assert [o.error for o in results] == [None] * 12


def test_every_finished_task_reports_its_peak_memory_and_cpu() -> None:
    outcomes = list(LocalProcessExecutor(2).run(work, [Job(0, megabytes=50), Job(1)]))

    assert all(o.usage is not None and (o.usage.peak_rss_bytes or 0) > 0 for o in outcomes)
    assert all(o.usage is not None and o.usage.cpu_seconds is not None for o in outcomes)
