"""The promotion rule for baseline fallback versions: the baseline is not asked to beat itself."""

from __future__ import annotations

import math

from modelfleet.registry.policy import PromotionPolicy, StepRule, decide, is_baseline_fallback
from modelfleet.registry.semver import SemVer

V = SemVer(1, 0, 0)
HOLDOUT = {"wmape": 0.31, "mae": 12.0, "rmse": 15.5}


def _prod(min_improvement: float) -> PromotionPolicy:
    return PromotionPolicy(("prod",), False, {"prod": StepRule(min_improvement)}, "wmape")


def test_a_baseline_fallback_version_passes_the_beat_the_baseline_gate_saying_why() -> None:
    decision = decide(
        _prod(0.05),
        "prod",
        version=V,
        metrics=dict(HOLDOUT),
        baseline_metrics=dict(HOLDOUT),
        aliases=(),
        comparison=None,
        approved_by=None,
    )

    assert decision.moved
    assert "baseline fallback version" in decision.reason


def test_a_model_that_only_ties_the_baseline_on_the_gate_metric_is_still_refused() -> None:
    tied = {**HOLDOUT, "mae": 11.0}  # same wmape, but not the baseline's own scores

    decision = decide(
        _prod(0.05),
        "prod",
        version=V,
        metrics=tied,
        baseline_metrics=dict(HOLDOUT),
        aliases=(),
        comparison=None,
        approved_by=None,
    )

    assert not decision.moved
    assert "needs ≥5.0%" in decision.reason


def test_metrics_that_are_not_numbers_never_count_as_a_baseline_fallback() -> None:
    nan = {"wmape": math.nan}

    assert not is_baseline_fallback(nan, dict(nan))
    assert not is_baseline_fallback({}, {})
