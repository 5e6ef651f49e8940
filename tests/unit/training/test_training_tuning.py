"""Optuna tuning per tenant."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import optuna
import pytest

from modelfleet.errors import TrainingError
from modelfleet.training.baselines import ConstantEstimator
from modelfleet.training.frames import FeatureFrame
from modelfleet.training.tuning import ParamRange, TuningResult, default_space, tune

if TYPE_CHECKING:  # fixtures come from conftest.py; the import is for annotations only
    from conftest import Dataset


@dataclass
class ShiftFamily:
    """A fake family predicting ``shift``; it raises when ``shift`` exceeds ``fail_above``."""

    fail_above: float = float("inf")
    name: str = "shift"

    def fit(
        self, frame: FeatureFrame, target: np.ndarray, task: Any, params: Mapping[str, Any]
    ) -> ConstantEstimator:
        if params["shift"] > self.fail_above:
            raise TrainingError(f"shift {params['shift']} too large")
        return ConstantEstimator(family=self.name, value=float(params["shift"]))

    def load(self, blob: bytes) -> ConstantEstimator:
        raise NotImplementedError


def _run(
    data: tuple[Dataset, Dataset], family: Any, space: dict[str, ParamRange], **kw: Any
) -> TuningResult:
    train, valid = data
    args: dict[str, Any] = {
        "base_params": {},
        "metric": "mae",
        "trials": 3,
        "timeout_seconds": None,
        "seed": 7,
        "task": "regression",
    }
    args.update(kw)
    return tune(family, train.frame, train.y, valid.frame, valid.y, space=space, **args)


def test_lightgbm_tuning_returns_best_params_within_the_space(
    regression_data: tuple[Dataset, Dataset],
) -> None:
    space = default_space("lightgbm")
    result = _run(regression_data, "lightgbm", space, base_params={"min_data_in_bin": 3})
    assert len(result.trials) == 3
    assert all(t.state == "complete" and t.value is not None for t in result.trials)
    for name, rng in space.items():
        assert rng.contains(result.best_params[name]), name
    assert result.best_params["min_data_in_bin"] == 3
    assert result.best_value == min(t.value for t in result.trials if t.value is not None)


def test_same_seed_gives_the_same_trials(regression_data: tuple[Dataset, Dataset]) -> None:
    space = {"shift": ParamRange(0.0, 20.0)}
    first = _run(regression_data, ShiftFamily(), space)
    second = _run(regression_data, ShiftFamily(), space)
    assert [t.params for t in first.trials] == [t.params for t in second.trials]


def test_int_and_categorical_ranges_are_respected(regression_data: tuple[Dataset, Dataset]) -> None:
    space = {
        "shift": ParamRange(1, 3, kind="int"),
        "mode": ParamRange(kind="categorical", choices=("a", "b")),
    }
    result = _run(regression_data, ShiftFamily(), space, trials=5)
    for trial in result.trials:
        assert trial.params["shift"] in {1, 2, 3}
        assert trial.params["mode"] in {"a", "b"}


def test_failing_trials_are_recorded_not_fatal(regression_data: tuple[Dataset, Dataset]) -> None:
    space = {"shift": ParamRange(0.0, 20.0)}
    result = _run(regression_data, ShiftFamily(fail_above=10.0), space, trials=8, seed=1)
    failed = [t for t in result.trials if t.state == "fail"]
    assert failed, "seed 1 should sample some shifts above 10"
    assert all(t.value is None and "too large" in (t.error or "") for t in failed)
    assert result.best_params["shift"] <= 10.0


def test_all_trials_failing_raises_with_the_first_error(
    regression_data: tuple[Dataset, Dataset],
) -> None:
    space = {"shift": ParamRange(5.0, 20.0)}
    with pytest.raises(TrainingError, match=r"all 3 trials failed.*too large"):
        _run(regression_data, ShiftFamily(fail_above=1.0), space)


def test_timeout_stops_new_trials_after_the_first(
    regression_data: tuple[Dataset, Dataset],
) -> None:
    space = {"shift": ParamRange(0.0, 1.0)}
    result = _run(regression_data, ShiftFamily(), space, trials=5, timeout_seconds=0.0)
    assert len(result.trials) == 1
    assert result.trials[0].state == "complete"


def test_optuna_verbosity_is_restored_after_tuning(
    regression_data: tuple[Dataset, Dataset],
) -> None:
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.DEBUG)
    try:
        _run(regression_data, ShiftFamily(), {"shift": ParamRange(0.0, 1.0)})
        assert optuna.logging.get_verbosity() == optuna.logging.DEBUG
    finally:
        optuna.logging.set_verbosity(before)


def test_metric_of_another_task_is_rejected(regression_data: tuple[Dataset, Dataset]) -> None:
    with pytest.raises(TrainingError, match="'log_loss' is not defined for regression"):
        _run(regression_data, ShiftFamily(), {"shift": ParamRange(0.0, 1.0)}, metric="log_loss")


def test_default_space_exists_only_for_lightgbm() -> None:
    assert {"num_leaves", "learning_rate", "n_estimators"} <= set(default_space("lightgbm"))
    with pytest.raises(TrainingError, match="no default tuning space"):
        default_space("mean")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"low": 2.0, "high": 1.0}, "low <= high"),
        ({"low": 0.0, "high": 1.0, "log": True}, "low > 0"),
        ({"kind": "categorical"}, "at least one choice"),
    ],
)
def test_invalid_param_ranges_are_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(TrainingError, match=message):
        ParamRange(**kwargs)
