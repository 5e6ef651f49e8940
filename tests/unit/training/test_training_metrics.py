"""Metrics against hand computation on small arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from modelfleet.errors import TrainingError
from modelfleet.training.metrics import (
    METRIC_DIRECTION,
    TASK_METRICS,
    compute_metrics,
    default_metric,
)


def test_regression_metrics_match_hand_computation() -> None:
    y = np.array([10.0, 20.0, 30.0, 40.0])
    p = np.array([12.0, 18.0, 33.0, 40.0])  # errors 2, -2, 3, 0
    got = compute_metrics("regression", y, p)
    assert got["mae"] == pytest.approx((2 + 2 + 3 + 0) / 4)
    assert got["rmse"] == pytest.approx(math.sqrt((4 + 4 + 9 + 0) / 4))
    assert got["wmape"] == pytest.approx(7 / 100)


def test_wmape_is_nan_when_all_actuals_are_zero() -> None:
    got = compute_metrics("regression", np.zeros(3), np.array([0.0, 1.0, 2.0]))
    assert math.isnan(got["wmape"])
    assert got["mae"] == pytest.approx(1.0)


def test_binary_metrics_match_hand_computation() -> None:
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.6, 0.4, 0.9])
    got = compute_metrics("binary_classification", y, p)
    # Pairs (pos, neg): (0.4,0.1) ok, (0.4,0.6) wrong, (0.9,0.1) ok, (0.9,0.6) ok -> 3/4.
    assert got["roc_auc"] == pytest.approx(0.75)
    # At 0.5: predicted [0,1,0,1] -> tp=1, fp=1, fn=1 -> f1 = 2/(2+1+1).
    assert got["f1"] == pytest.approx(0.5)
    expected = -np.mean(np.log([0.9, 0.4, 0.4, 0.9]))
    assert got["log_loss"] == pytest.approx(expected)


def test_roc_auc_is_nan_with_a_single_class_while_others_are_defined() -> None:
    got = compute_metrics("binary_classification", np.array([1, 1]), np.array([0.8, 0.6]))
    assert math.isnan(got["roc_auc"])
    assert got["log_loss"] == pytest.approx(-np.mean(np.log([0.8, 0.6])))


def test_log_loss_clips_certain_wrong_predictions_to_a_finite_value() -> None:
    got = compute_metrics("binary_classification", np.array([0, 1]), np.array([1.0, 0.0]))
    assert math.isfinite(got["log_loss"])
    assert got["log_loss"] > 30


def test_non_finite_predictions_make_every_metric_nan() -> None:
    got = compute_metrics("regression", np.array([1.0, 2.0]), np.array([1.0, np.nan]))
    assert set(got) == set(TASK_METRICS["regression"])
    assert all(math.isnan(v) for v in got.values())


def test_length_mismatch_is_rejected() -> None:
    with pytest.raises(TrainingError, match="3 predictions against 2 actuals"):
        compute_metrics("regression", np.zeros(2), np.zeros(3))


def test_every_task_metric_has_a_direction_and_defaults_are_task_metrics() -> None:
    for task, names in TASK_METRICS.items():
        assert set(names) <= set(METRIC_DIRECTION)
        assert default_metric(task) in names
    assert default_metric("regression") == "wmape"
    assert default_metric("binary_classification") == "log_loss"
