from __future__ import annotations

import os

import pytest

from modelfleet.errors import ExecutorError
from modelfleet.pipeline.executors import InlineExecutor, LocalProcessExecutor, make_executor


def square(x: int) -> int:
    return x * x


def boom_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("three is bad")
    return x


def die_on_three(x: int) -> int:
    if x == 3:
        os._exit(13)  # a worker killed mid-task, like the OOM killer would
    return x


@pytest.fixture(params=["inline", "process"])
def executor(request: pytest.FixtureRequest):
    return InlineExecutor() if request.param == "inline" else LocalProcessExecutor(2)


def test_every_item_yields_one_outcome(executor) -> None:
    outcomes = list(executor.run(square, range(10)))
    assert sorted(o.result for o in outcomes) == [x * x for x in range(10)]
    assert sorted(o.item for o in outcomes) == list(range(10))


def test_an_exception_fails_only_its_item(executor) -> None:
    outcomes = {o.item: o for o in executor.run(boom_on_three, range(6))}
    assert outcomes[3].result is None
    assert "three is bad" in (outcomes[3].error or "")
    assert [outcomes[i].result for i in (0, 1, 2, 4, 5)] == [0, 1, 2, 4, 5]


def test_a_dead_worker_fails_only_the_item_that_killed_it() -> None:
    executor = LocalProcessExecutor(2, max_in_flight=4)
    outcomes = {o.item: o for o in executor.run(die_on_three, range(12))}
    assert set(outcomes) == set(range(12))
    assert "worker process died" in (outcomes[3].error or "")
    assert [i for i, o in outcomes.items() if o.error] == [3]
    assert all(outcomes[i].result == i for i in range(12) if i != 3)


def test_zero_workers_means_inline() -> None:
    assert isinstance(make_executor(0), InlineExecutor)


def test_negative_workers_is_an_error() -> None:
    with pytest.raises(ExecutorError, match="at least 1"):
        LocalProcessExecutor(0)
