"""Looking up model families by name."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from modelfleet.errors import TrainingError
from modelfleet.training.families import (
    Estimator,
    ModelFamily,
    default_baseline,
    family_names,
    resolve_family,
)
from modelfleet.training.frames import FeatureFrame


@pytest.mark.parametrize(
    "name",
    ["lightgbm", "seasonal_naive", "mean", "prior", "sklearn:sklearn.linear_model.Ridge"],
)
def test_every_listed_family_resolves_to_its_name(name: str) -> None:
    family = resolve_family(name)
    assert isinstance(family, ModelFamily)
    assert family.name == name


def test_unknown_family_error_lists_the_choices() -> None:
    with pytest.raises(TrainingError, match=r"unknown model family 'xgb'.*lightgbm.*sklearn:"):
        resolve_family("xgb")


def test_family_names_cover_builtins_and_sklearn_form() -> None:
    assert set(family_names()) >= {"lightgbm", "seasonal_naive", "mean", "prior"}
    assert any(name.startswith("sklearn:") for name in family_names())


def test_default_baseline_is_seasonal_naive_for_regression_and_prior_for_binary() -> None:
    assert default_baseline("regression") == "seasonal_naive"
    assert default_baseline("binary_classification") == "prior"


def test_fitted_models_satisfy_the_estimator_protocol() -> None:
    frame = FeatureFrame(
        pa.table({"x": [1.0, 2.0]}), np.array(["2024-01-01", "2024-01-02"], "M8[D]")
    )
    model = resolve_family("mean").fit(frame, np.array([1.0, 3.0]), "regression", {})
    assert isinstance(model, Estimator)
    assert model.family == "mean"
