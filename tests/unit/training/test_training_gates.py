"""The quality gate: relative improvement over the baseline in the metric's direction."""

from __future__ import annotations

import math

import pytest

from modelfleet.errors import TrainingError
from modelfleet.training.gates import evaluate_gate


def test_candidate_better_by_more_than_the_margin_passes_with_readable_reason() -> None:
    result = evaluate_gate("wmape", candidate=0.182, baseline=0.211, min_improvement=0.05)
    assert result.passed
    assert result.improvement == pytest.approx((0.211 - 0.182) / 0.211)
    assert result.reason == "wmape 0.182 vs baseline 0.211: 13.7% better, needs ≥5.0%"


def test_candidate_better_by_less_than_the_margin_fails() -> None:
    result = evaluate_gate("wmape", candidate=0.200, baseline=0.211, min_improvement=0.10)
    assert not result.passed
    assert "5.2% better, needs ≥10.0%" in result.reason


def test_worse_candidate_fails_and_says_worse() -> None:
    result = evaluate_gate("mae", candidate=12.0, baseline=10.0, min_improvement=0.0)
    assert not result.passed
    assert result.improvement == pytest.approx(-0.2)
    assert "20.0% worse" in result.reason


def test_higher_is_better_for_max_metrics() -> None:
    result = evaluate_gate("roc_auc", candidate=0.80, baseline=0.50, min_improvement=0.05)
    assert result.passed
    assert result.improvement == pytest.approx(0.6)


@pytest.mark.parametrize("candidate", [math.nan, math.inf])
def test_non_finite_candidate_is_rejected_with_reason(candidate: float) -> None:
    result = evaluate_gate("wmape", candidate=candidate, baseline=0.2, min_improvement=0.05)
    assert not result.passed
    assert "not a finite score" in result.reason


def test_nan_baseline_rejects_because_nothing_can_be_compared() -> None:
    result = evaluate_gate("wmape", candidate=0.1, baseline=math.nan, min_improvement=0.05)
    assert not result.passed
    assert "baseline cannot be scored" in result.reason


def test_zero_baseline_of_a_max_metric_is_beaten_by_any_gain() -> None:
    result = evaluate_gate("f1", candidate=0.3, baseline=0.0, min_improvement=0.05)
    assert result.passed
    assert result.improvement == math.inf


def test_unknown_metric_lists_the_known_ones() -> None:
    with pytest.raises(TrainingError, match=r"unknown metric 'r2'.*wmape"):
        evaluate_gate("r2", candidate=0.5, baseline=0.4, min_improvement=0.0)
