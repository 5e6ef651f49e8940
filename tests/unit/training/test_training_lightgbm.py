"""The LightGBM family: fitting, text-format round trip, params and feature names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import lightgbm as lgb
import numpy as np
import pytest

from modelfleet.errors import TrainingError
from modelfleet.training.families import resolve_family
from modelfleet.training.lightgbm_family import LightGBMEstimator, build_params

if TYPE_CHECKING:  # fixtures come from conftest.py; the import is for annotations only
    from conftest import Dataset

SMALL = {"n_estimators": 20, "min_child_samples": 5}


def test_regression_round_trip_gives_identical_predictions(
    regression_data: tuple[Dataset, Dataset],
) -> None:
    train, valid = regression_data
    family = resolve_family("lightgbm")
    model = family.fit(train.frame, train.y, "regression", SMALL)
    loaded = family.load(model.to_bytes())
    np.testing.assert_array_equal(loaded.predict(valid.frame), model.predict(valid.frame))


def test_binary_round_trip_gives_identical_probabilities(
    binary_data: tuple[Dataset, Dataset],
) -> None:
    train, valid = binary_data
    family = resolve_family("lightgbm")
    model = family.fit(train.frame, train.y, "binary_classification", SMALL)
    proba = model.predict(valid.frame)
    assert ((proba > 0) & (proba < 1)).all()
    np.testing.assert_array_equal(family.load(model.to_bytes()).predict(valid.frame), proba)


def test_blob_is_plain_lightgbm_text_that_lightgbm_alone_loads(
    regression_data: tuple[Dataset, Dataset], tmp_path: Path
) -> None:
    train, valid = regression_data
    model = resolve_family("lightgbm").fit(train.frame, train.y, "regression", SMALL)
    path = tmp_path / "model.txt"
    path.write_bytes(model.to_bytes())

    booster = lgb.Booster(model_file=str(path))

    matrix = valid.frame.to_matrix(["x1", "x2", "store"], family="test")
    np.testing.assert_array_equal(booster.predict(matrix), model.predict(valid.frame))


def test_loading_plain_text_restores_names_categoricals_and_task(
    binary_data: tuple[Dataset, Dataset],
) -> None:
    train, _ = binary_data
    blob = resolve_family("lightgbm").fit(train.frame, train.y, "binary_classification", SMALL)

    loaded = resolve_family("lightgbm").load(blob.to_bytes())

    assert isinstance(loaded, LightGBMEstimator)
    assert (loaded.features, loaded.categorical) == (("x1", "x2", "store"), ("store",))
    assert loaded.task == "binary_classification"


def test_bytes_with_the_old_json_header_still_load(
    regression_data: tuple[Dataset, Dataset],
) -> None:
    train, valid = regression_data
    model = resolve_family("lightgbm").fit(train.frame, train.y, "regression", SMALL)
    assert isinstance(model, LightGBMEstimator)
    header = {
        "format": "modelfleet.lightgbm",
        "version": 1,
        "task": "regression",
        "features": ["x1", "x2", "store"],
        "categorical": ["store"],
    }
    old = json.dumps(header).encode() + b"\n" + model.booster.model_to_string().encode()

    loaded = resolve_family("lightgbm").load(old)

    np.testing.assert_array_equal(loaded.predict(valid.frame), model.predict(valid.frame))


def test_predict_selects_columns_by_name_not_position(
    regression_data: tuple[Dataset, Dataset],
) -> None:
    train, valid = regression_data
    model = resolve_family("lightgbm").fit(train.frame, train.y, "regression", SMALL)
    shuffled = valid.frame.select(list(reversed(valid.frame.column_names)))
    np.testing.assert_array_equal(model.predict(shuffled), model.predict(valid.frame))


def test_predict_with_a_missing_column_names_it(regression_data: tuple[Dataset, Dataset]) -> None:
    train, valid = regression_data
    model = resolve_family("lightgbm").fit(train.frame, train.y, "regression", SMALL)
    with pytest.raises(TrainingError, match=r"'lightgbm' needs feature columns \['x2'\]"):
        model.predict(valid.frame.select(["x1", "store"]))


def test_categorical_columns_are_trained_as_categorical(
    regression_data: tuple[Dataset, Dataset],
) -> None:
    train, _ = regression_data
    model = resolve_family("lightgbm").fit(train.frame, train.y, "regression", SMALL)
    assert isinstance(model, LightGBMEstimator)
    # LightGBM lists the seen category values for categorical features and a min/max range
    # for numeric ones.
    infos = model.booster.dump_model()["feature_infos"]
    assert {0, 1, 2, 3} <= set(infos["store"]["values"])
    assert infos["x1"]["values"] == []


def test_n_estimators_sets_the_number_of_trees(regression_data: tuple[Dataset, Dataset]) -> None:
    train, _ = regression_data
    model = resolve_family("lightgbm").fit(train.frame, train.y, "regression", {"n_estimators": 7})
    assert isinstance(model, LightGBMEstimator)
    assert model.booster.num_trees() == 7


def test_tweedie_objective_is_accepted_for_regression(
    regression_data: tuple[Dataset, Dataset],
) -> None:
    train, valid = regression_data
    params = {**SMALL, "objective": "tweedie"}
    model = resolve_family("lightgbm").fit(train.frame, np.abs(train.y), "regression", params)
    assert (model.predict(valid.frame) > 0).all()


def test_defaults_are_one_thread_quiet_and_task_objective() -> None:
    params, rounds = build_params({}, "binary_classification")
    assert params == {"verbosity": -1, "num_threads": 1, "objective": "binary"}
    assert rounds == 100


def test_params_override_threads_through_any_alias() -> None:
    params, _ = build_params({"n_jobs": 4}, "regression")
    assert params["num_threads"] == 4


def test_unknown_param_is_named_with_a_suggestion() -> None:
    with pytest.raises(TrainingError, match=r"unknown param 'num_leafs'.*num_leaves"):
        build_params({"num_leafs": 31}, "regression")


def test_two_aliases_of_one_param_are_rejected() -> None:
    with pytest.raises(TrainingError, match="'n_estimators' and 'num_boost_round' are aliases"):
        build_params({"n_estimators": 10, "num_boost_round": 20}, "regression")


def test_non_positive_rounds_are_rejected() -> None:
    with pytest.raises(TrainingError, match="'n_estimators' must be a positive integer"):
        build_params({"n_estimators": 0}, "regression")


def test_regression_objective_for_binary_task_is_rejected() -> None:
    with pytest.raises(TrainingError, match="'objective'='regression' does not predict"):
        build_params({"objective": "regression"}, "binary_classification")


def test_invalid_param_value_is_reported_as_training_error(
    regression_data: tuple[Dataset, Dataset],
) -> None:
    train, _ = regression_data
    with pytest.raises(TrainingError, match="num_leaves"):
        resolve_family("lightgbm").fit(train.frame, train.y, "regression", {"num_leaves": 1})


def test_loading_foreign_bytes_fails_clearly() -> None:
    with pytest.raises(TrainingError, match="cannot load a 'lightgbm' model"):
        resolve_family("lightgbm").load(b'{"format": "modelfleet.baseline"}\nxyz')
