"""Per-tenant hyperparameter search with Optuna's seeded TPE sampler."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import optuna

from modelfleet.config.spec import Task
from modelfleet.errors import TrainingError
from modelfleet.training.families import ModelFamily, resolve_family
from modelfleet.training.frames import FeatureFrame
from modelfleet.training.metrics import METRIC_DIRECTION, check_metric, compute_metrics

ParamKind = Literal["int", "float", "categorical"]
TrialState = Literal["complete", "fail", "pruned"]
_ERROR_ATTR = "modelfleet_error"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParamRange:
    """One dimension of a search space: a numeric range (optionally log-scaled) or choices."""

    low: float | None = None
    high: float | None = None
    log: bool = False
    kind: ParamKind = "float"
    choices: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if self.kind == "categorical":
            if not self.choices:
                raise TrainingError("categorical ParamRange needs at least one choice")
            return
        if self.kind not in ("int", "float"):
            raise TrainingError(f"ParamRange kind must be int, float or categorical: {self.kind}")
        if self.low is None or self.high is None or not self.low <= self.high:
            raise TrainingError(
                f"{self.kind} ParamRange needs low <= high, got low={self.low} high={self.high}"
            )
        if self.log and self.low <= 0:
            raise TrainingError(f"log-scaled ParamRange needs low > 0, got low={self.low}")

    def contains(self, value: Any) -> bool:
        """Tell whether ``value`` is a point of this range (used to check tuning results)."""
        if self.kind == "categorical":
            return value in self.choices
        low, high = self._bounds()
        return bool(low <= value <= high)

    def suggest(self, trial: optuna.Trial, name: str) -> Any:
        """Ask ``trial`` for a value of parameter ``name`` in this range."""
        if self.kind == "categorical":
            return trial.suggest_categorical(name, list(self.choices))
        low, high = self._bounds()
        if self.kind == "int":
            return trial.suggest_int(name, int(low), int(high), log=self.log)
        return trial.suggest_float(name, float(low), float(high), log=self.log)

    def _bounds(self) -> tuple[float, float]:
        """The numeric bounds (present for int and float ranges, checked at construction)."""
        if self.low is None or self.high is None:
            raise TrainingError(f"{self.kind} ParamRange has no low/high bounds")
        return self.low, self.high


@dataclass(frozen=True)
class TrialOutcome:
    """One trial: its sampled params, its validation score (None if it failed) and why."""

    number: int
    value: float | None
    params: dict[str, Any]
    state: TrialState
    error: str | None = None


@dataclass(frozen=True)
class TuningResult:
    """The best full param set (base params plus sampled ones), its score and every trial."""

    best_params: dict[str, Any]
    best_value: float
    trials: list[TrialOutcome] = field(default_factory=list)


def default_space(family_name: str) -> dict[str, ParamRange]:
    """A search space that works for most tenants; only LightGBM has one built in."""
    if family_name == "lightgbm":
        return {
            "num_leaves": ParamRange(8, 128, log=True, kind="int"),
            "learning_rate": ParamRange(0.01, 0.3, log=True),
            "min_child_samples": ParamRange(5, 100, log=True, kind="int"),
            "feature_fraction": ParamRange(0.5, 1.0),
            "lambda_l2": ParamRange(1e-3, 10.0, log=True),
            "n_estimators": ParamRange(50, 500, log=True, kind="int"),
        }
    raise TrainingError(
        f"model family {family_name!r} has no default tuning space; declare the params to tune "
        "and their ranges in the fleet spec, or turn tuning off for it"
    )


def tune(
    family: ModelFamily | str,
    train: FeatureFrame,
    y_train: np.ndarray,
    valid: FeatureFrame,
    y_valid: np.ndarray,
    task: Task,
    base_params: Mapping[str, Any],
    space: Mapping[str, ParamRange],
    metric: str,
    trials: int,
    timeout_seconds: float | None,
    seed: int,
) -> TuningResult:
    """Search ``space`` for the params that score best on ``valid``; base params stay fixed.

    Each trial fits on ``train`` with ``{**base_params, **sampled}`` and scores ``metric`` on
    ``valid``. A trial that raises or scores NaN is recorded as failed with its error; the
    search fails only when no trial completes. The same seed gives the same trials.
    """
    model_family = resolve_family(family) if isinstance(family, str) else family
    check_metric(task, metric)
    if trials < 1:
        raise TrainingError(f"tuning needs at least 1 trial, got trials={trials}")
    if not space:
        raise TrainingError(f"tuning {model_family.name!r}: the search space is empty")
    direction: Literal["minimize", "maximize"] = (
        "minimize" if METRIC_DIRECTION[metric] == "min" else "maximize"
    )

    def score(params: Mapping[str, Any]) -> float:
        estimator = model_family.fit(train, y_train, task, {**base_params, **params})
        return compute_metrics(task, y_valid, estimator.predict(valid))[metric]

    previous = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(
            direction=direction, sampler=optuna.samplers.TPESampler(seed=seed)
        )
        _search(study, space, score, trials, timeout_seconds, metric)
    finally:
        optuna.logging.set_verbosity(previous)

    outcomes = [_outcome(t) for t in study.trials]
    completed = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not completed:
        first = next((o.error for o in outcomes if o.error), "no trial finished before the timeout")
        raise TrainingError(
            f"tuning {model_family.name!r}: all {len(outcomes)} trials failed; first error: "
            f"{first}. Check the base params and the search space ranges"
        )
    best = study.best_trial
    return TuningResult(
        best_params={**base_params, **best.params},
        best_value=float(best.value) if best.value is not None else math.nan,
        trials=outcomes,
    )


def _search(
    study: optuna.Study,
    space: Mapping[str, ParamRange],
    score: Callable[[Mapping[str, Any]], float],
    trials: int,
    timeout_seconds: float | None,
    metric: str,
) -> None:
    """Run trials through Optuna's ask/tell interface until ``trials`` or the timeout.

    Ask/tell instead of ``study.optimize`` so a failing trial is told as FAIL with our own
    error text: ``optimize`` would log a traceback (or a misleading "nan is not acceptable")
    per failed trial, which is noise when a fleet tunes hundreds of tenants. Like
    ``optimize``, the timeout stops new trials from starting (after the first, so there is
    always a result); it does not interrupt a running one.
    """
    deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
    for number in range(trials):
        if number > 0 and deadline is not None and time.monotonic() >= deadline:
            break
        trial = study.ask()
        params = {name: rng.suggest(trial, name) for name, rng in space.items()}
        try:
            value = score(params)
            error = None if math.isfinite(value) else f"{metric} is {value} on the validation set"
        except Exception as exc:  # any failure is this trial's, not the search's
            value, error = math.nan, f"{type(exc).__name__}: {exc}"
        if error is None:
            study.tell(trial, value)
        else:
            trial.set_user_attr(_ERROR_ATTR, error)
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            _log.debug("trial %d failed: %s", trial.number, error)


def _outcome(trial: optuna.trial.FrozenTrial) -> TrialOutcome:
    """Convert an Optuna trial to a plain record."""
    states: dict[optuna.trial.TrialState, TrialState] = {
        optuna.trial.TrialState.COMPLETE: "complete",
        optuna.trial.TrialState.PRUNED: "pruned",
    }
    state = states.get(trial.state, "fail")
    return TrialOutcome(
        number=trial.number,
        value=float(trial.value) if state == "complete" and trial.value is not None else None,
        params=dict(trial.params),
        state=state,
        error=trial.user_attrs.get(_ERROR_ATTR),
    )
