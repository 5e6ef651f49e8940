"""Estimator classes for pipeline tests, in a plain module that worker processes can import.

pytest imports test modules under names a fresh interpreter cannot import (importlib mode), so a
class defined in a test file could not be named as ``sklearn:<module>.<Class>`` in a fleet spec.
Tests put this folder on ``sys.path`` before training; forkserver workers inherit that path.

Every class takes ``**params`` because tenant overrides deep-merge model params, so the fleet's
LightGBM params arrive here too. Coordination between workers goes through marker files in a
folder named by the ``marker_dir`` param (not an environment variable: a forkserver started by
an earlier test would not see a variable set later).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

WAIT_LIMIT_SECONDS = 60.0


DIED = "died"  # marker file DieOnFit drops just before it kills its worker


def _markers(marker_dir: str) -> list[Path]:
    return [p for p in Path(marker_dir).iterdir() if p.name.startswith("fit-")]


def _wait(condition: Any) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


class DieOnFit:
    """Kills its own worker process in ``fit``, like the OOM killer would.

    With ``marker_dir`` and ``wait_for=N``, it first waits until N other tenants have started
    fitting, and it drops a ``died`` marker just before it dies.
    """

    def __init__(self, wait_for: int = 0, marker_dir: str | None = None, **params: Any) -> None:
        self.wait_for = wait_for
        self.marker_dir = marker_dir
        self.params = params

    def fit(self, X: np.ndarray, y: np.ndarray) -> DieOnFit:
        if self.marker_dir:
            folder = self.marker_dir
            _wait(lambda: len(_markers(folder)) >= self.wait_for)
            (Path(folder) / DIED).touch()
        os._exit(13)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.zeros(len(X))


class SleepyMean:
    """Predicts the training mean after sleeping ``seconds`` in fit (a slow, harmless model).

    With ``marker_dir``, fit first drops a ``fit-*`` file there, so others can tell it started;
    with ``hold_until_death`` too, it then waits for DieOnFit's ``died`` marker before sleeping,
    so it is certainly still in flight when a worker beside it dies.
    """

    def __init__(
        self,
        seconds: float = 1.0,
        marker_dir: str | None = None,
        hold_until_death: bool = False,
        **params: Any,
    ) -> None:
        self.seconds = seconds
        self.marker_dir = marker_dir
        self.hold_until_death = hold_until_death
        self.params = params

    def fit(self, X: np.ndarray, y: np.ndarray) -> SleepyMean:
        if self.marker_dir:
            folder = Path(self.marker_dir)
            (folder / f"fit-{os.getpid()}-{time.monotonic_ns()}").touch()
            if self.hold_until_death:
                _wait((folder / DIED).exists)
        time.sleep(self.seconds)
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.full(len(X), self.mean_)
