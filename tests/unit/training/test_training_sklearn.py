"""The scikit-learn family: any estimator by path, skops round trip, trust policy."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from modelfleet.errors import TrainingError
from modelfleet.training.families import resolve_family

if TYPE_CHECKING:  # fixtures come from conftest.py; the import is for annotations only
    from conftest import Dataset

FOREST = "sklearn:sklearn.ensemble.RandomForestRegressor"
HGB_CLASSIFIER = "sklearn:sklearn.ensemble.HistGradientBoostingClassifier"
LINEAR = "sklearn:sklearn.linear_model.LinearRegression"


def test_regressor_round_trip_gives_identical_predictions(
    regression_data: tuple[Dataset, Dataset],
) -> None:
    train, valid = regression_data
    frame, test_frame = train.frame.select(["x1", "store"]), valid.frame.select(["x1", "store"])
    family = resolve_family(FOREST)
    model = family.fit(frame, train.y, "regression", {"n_estimators": 5, "random_state": 0})
    loaded = family.load(model.to_bytes())
    assert loaded.family == FOREST
    np.testing.assert_array_equal(loaded.predict(test_frame), model.predict(test_frame))


def test_classifier_round_trip_gives_identical_probabilities(
    binary_data: tuple[Dataset, Dataset],
) -> None:
    train, valid = binary_data
    family = resolve_family(HGB_CLASSIFIER)
    model = family.fit(train.frame, train.y, "binary_classification", {"max_iter": 10})
    proba = model.predict(valid.frame)
    assert proba.shape == (valid.frame.num_rows,)
    assert ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_array_equal(family.load(model.to_bytes()).predict(valid.frame), proba)


def test_classifier_probability_is_for_class_one(binary_data: tuple[Dataset, Dataset]) -> None:
    train, _ = binary_data
    model = resolve_family(HGB_CLASSIFIER).fit(
        train.frame, train.y, "binary_classification", {"max_iter": 10}
    )
    proba = model.predict(train.frame)
    assert proba[train.y == 1].mean() > proba[train.y == 0].mean()


def test_predict_with_a_missing_column_names_it(regression_data: tuple[Dataset, Dataset]) -> None:
    train, valid = regression_data
    frame = train.frame.select(["x1", "store"])
    model = resolve_family(LINEAR).fit(frame, train.y, "regression", {})
    with pytest.raises(TrainingError, match=r"needs feature columns \['store'\]"):
        model.predict(valid.frame.select(["x1"]))


def test_nan_features_failure_explains_missing_values(
    regression_data: tuple[Dataset, Dataset],
) -> None:
    train, _ = regression_data  # x2 has nulls, which LinearRegression cannot take
    with pytest.raises(TrainingError, match=r"(?s)LinearRegression failed to fit.*missing values"):
        resolve_family(LINEAR).fit(train.frame, train.y, "regression", {})


def test_unknown_param_is_named_with_the_accepted_ones(
    regression_data: tuple[Dataset, Dataset],
) -> None:
    train, _ = regression_data
    with pytest.raises(
        TrainingError, match=r"does not take param\(s\) \['n_trees'\].*n_estimators"
    ):
        resolve_family(FOREST).fit(train.frame, train.y, "regression", {"n_trees": 5})


def test_invalid_param_value_is_a_training_error(
    regression_data: tuple[Dataset, Dataset],
) -> None:
    train, _ = regression_data
    with pytest.raises(TrainingError, match="n_estimators"):
        resolve_family(FOREST).fit(train.frame, train.y, "regression", {"n_estimators": -1})


def test_unimportable_path_is_rejected_at_resolve_time() -> None:
    with pytest.raises(TrainingError, match="cannot import 'NoSuchModel'"):
        resolve_family("sklearn:sklearn.ensemble.NoSuchModel")


def test_non_estimator_path_is_rejected() -> None:
    with pytest.raises(TrainingError, match="not an estimator class"):
        resolve_family("sklearn:os.path")


def test_loader_refuses_a_blob_referencing_an_untrusted_function() -> None:
    # A pipeline step whose func is os.system would run shell commands on predict.
    pipeline = Pipeline([("evil", FunctionTransformer(func=os.system)), ("lr", LinearRegression())])
    doc = {
        "format": "modelfleet.sklearn",
        "version": 1,
        "path": "sklearn.pipeline.Pipeline",
        "task": "regression",
        "features": ["x1"],
        "estimator": pipeline,
    }
    blob = sio.dumps(doc)
    family = resolve_family("sklearn:sklearn.pipeline.Pipeline")
    with pytest.raises(TrainingError, match=r"refusing to load.*system"):
        family.load(blob)


def test_loader_refuses_a_model_of_another_class(regression_data: tuple[Dataset, Dataset]) -> None:
    train, _ = regression_data
    frame = train.frame.select(["x1", "store"])
    blob = resolve_family(LINEAR).fit(frame, train.y, "regression", {}).to_bytes()
    with pytest.raises(TrainingError, match=r"not a sklearn\.ensemble\.RandomForestRegressor"):
        resolve_family(FOREST).load(blob)
