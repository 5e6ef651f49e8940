"""Ctrl-C (or a consumer giving up) while the process pool is busy.

``time.sleep`` is the task: a stdlib function the workers can unpickle, slow enough that work is
still in flight when the interrupt arrives.
"""

from __future__ import annotations

import time

import pytest

from modelfleet.pipeline.executors import LocalProcessExecutor


def test_ctrl_c_while_waiting_for_results_propagates_as_keyboard_interrupt() -> None:
    outcomes = LocalProcessExecutor(2).run(time.sleep, [0.0, 1.0, 1.0, 1.0])
    next(outcomes)

    with pytest.raises(KeyboardInterrupt):
        outcomes.throw(KeyboardInterrupt())


def test_abandoning_the_run_midway_closes_it_without_error() -> None:
    outcomes = LocalProcessExecutor(2).run(time.sleep, [0.0, 1.0, 1.0, 1.0])
    next(outcomes)

    outcomes.close()  # what a consumer that stops iterating does
