"""Worker processes for the registry concurrency tests, importable by name in spawned children.

``pythonpath = ["."]`` in the pytest configuration puts the repository root on ``sys.path``, and
spawned children inherit it, so ``tests.integration.registry.registry_workers`` imports there.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from multiprocessing.synchronize import Barrier
from typing import Any

from modelfleet.errors import ConflictError
from modelfleet.registry import PromotionPolicy, Registry

from .conftest import SIGNATURE, build_run

MODEL = "demand/s1"
VERSIONS = ("1.0.0", "1.1.0", "1.2.0")
MOVES_PER_WORKER = 50
RUNS = 20
POLICY = PromotionPolicy(("dev", "staging", "prod"), allow_skip=True)


def seed(url: str) -> None:
    """Register the versions the workers move ``prod`` between."""
    with Registry.open(url) as registry:
        for _ in VERSIONS:
            registry.register(build_run("s1"), SIGNATURE, caller="seed")


def move_prod(url: str, worker: int, barrier: Barrier, results: Any) -> None:
    """Alternate set_alias and promote of ``prod``; report how many calls really moved it."""
    moved = 0
    with Registry.open(url) as registry:
        barrier.wait(timeout=60)
        for i in range(MOVES_PER_WORKER):
            target = VERSIONS[(i + worker) % len(VERSIONS)]
            note = f"worker {worker} move {i}"
            try:
                if i % 2:
                    outcome = registry.promote(
                        MODEL,
                        "prod",
                        policy=POLICY,
                        caller=f"w{worker}",
                        reason=note,
                        version=target,
                    )
                    moved += outcome.moved
                else:
                    event = registry.set_alias(
                        MODEL, "prod", target, caller=f"w{worker}", reason=note
                    )
                    moved += event.reason == note  # else: it already pointed there
            except ConflictError:
                pass  # "kept changing, try again": a refusal, never a half-done move
    results.put(moved)


def register_same_runs(url: str, worker: int, barrier: Barrier, results: Any) -> None:
    """Register the same runs (same ids) as the other worker, one call each."""
    with Registry.open(url) as registry:
        barrier.wait(timeout=60)
        order = range(RUNS) if worker == 1 else reversed(range(RUNS))
        versions = {
            n: str(
                registry.register(
                    build_run("s1", run_id=f"{n:032x}"), SIGNATURE, caller="w"
                ).version
            )
            for n in order
        }
    results.put(versions)


def run_workers(
    target: Callable[..., None], url: str, workers: Sequence[int] = (1, 2)
) -> list[Any]:
    """Run ``target`` in spawned processes at the same moment; return what each reported."""
    context = multiprocessing.get_context("spawn")  # fresh interpreters, like two CLI commands
    barrier = context.Barrier(len(workers))
    results = context.Queue()
    processes = [
        context.Process(target=target, args=(url, worker, barrier, results)) for worker in workers
    ]
    for process in processes:
        process.start()
    reported = [results.get(timeout=180) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert [process.exitcode for process in processes] == [0] * len(processes)
    return reported
