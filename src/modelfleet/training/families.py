"""The model family protocol and the one table that maps family names to implementations."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

import numpy as np

from modelfleet.config.spec import Task
from modelfleet.errors import TrainingError
from modelfleet.training.frames import FeatureFrame

SKLEARN_PREFIX = "sklearn:"


@runtime_checkable
class Estimator(Protocol):
    """A fitted model: predicts from a frame and serialises itself to safe bytes."""

    @property
    def family(self) -> str:
        """Name of the family that made it; ``resolve_family(family).load`` reads its bytes."""
        ...

    def predict(self, frame: FeatureFrame) -> np.ndarray:
        """Regression: predicted values; binary classification: probability of class 1."""
        ...

    def to_bytes(self) -> bytes:
        """Serialise in a format that cannot run code on load (never pickle)."""
        ...


@runtime_checkable
class ModelFamily(Protocol):
    """A kind of model: fits estimators and loads them back from bytes."""

    @property
    def name(self) -> str:
        """The name the fleet spec uses for this family."""
        ...

    def fit(
        self, frame: FeatureFrame, target: np.ndarray, task: Task, params: Mapping[str, Any]
    ) -> Estimator:
        """Fit one model on ``frame`` and ``target`` with ``params``."""
        ...

    def load(self, blob: bytes) -> Estimator:
        """Rebuild an estimator from :meth:`Estimator.to_bytes` output."""
        ...


def _lightgbm() -> ModelFamily:
    from modelfleet.training.lightgbm_family import LightGBMFamily

    return LightGBMFamily()


def _pooled() -> ModelFamily:
    from modelfleet.training.pooled import PooledFamily

    return PooledFamily()


def _baseline(name: str) -> Callable[[], ModelFamily]:
    def make() -> ModelFamily:
        from modelfleet.training.baselines import baseline_family

        return baseline_family(name)

    return make


# Heavy libraries (lightgbm, scikit-learn) are imported only when their family is asked for.
_FAMILIES: dict[str, Callable[[], ModelFamily]] = {
    "lightgbm": _lightgbm,
    "pooled_lightgbm": _pooled,
    "seasonal_naive": _baseline("seasonal_naive"),
    "mean": _baseline("mean"),
    "prior": _baseline("prior"),
}


def family_names() -> tuple[str, ...]:
    """The accepted family names, for help texts and error messages."""
    return (*_FAMILIES, f"{SKLEARN_PREFIX}<module.Class>")


def resolve_family(name: str) -> ModelFamily:
    """Return the family for a spec name such as ``lightgbm`` or ``sklearn:pkg.mod.Class``."""
    if name.startswith(SKLEARN_PREFIX):
        from modelfleet.training.sklearn_family import SklearnFamily

        return SklearnFamily(name.removeprefix(SKLEARN_PREFIX))
    make = _FAMILIES.get(name)
    if make is None:
        raise TrainingError(
            f"unknown model family {name!r}; choose one of {', '.join(family_names())} "
            "(e.g. sklearn:sklearn.ensemble.RandomForestRegressor)"
        )
    return make()


def default_baseline(task: Task) -> str:
    """The baseline family a candidate must beat: seasonal naive for forecasts, prior for binary."""
    if task == "regression":
        return "seasonal_naive"
    if task == "binary_classification":
        return "prior"
    raise TrainingError(f"unknown task {task!r}: use regression or binary_classification")
