"""Promotion rules as pure decisions: order, baseline gate, same-holdout gate, approval."""

from __future__ import annotations

import math
from collections.abc import Collection

import pytest

from modelfleet.errors import PromotionError
from modelfleet.registry.policy import (
    Comparison,
    Decision,
    PromotionPolicy,
    StepRule,
    decide,
)
from modelfleet.registry.semver import SemVer

V = SemVer(1, 2, 0)
OLD = SemVer(1, 1, 0)


def policy(allow_skip: bool = False, **steps: StepRule) -> PromotionPolicy:
    return PromotionPolicy(("dev", "staging", "prod"), allow_skip, steps, "wmape")


def judge(
    environment: str,
    rules: PromotionPolicy,
    *,
    wmape: float = 0.2,
    baseline: float = 0.3,
    aliases: Collection[str] = ("staging",),
    comparison: Comparison | None = None,
    approved_by: str | None = None,
) -> Decision:
    return decide(
        rules,
        environment,
        version=V,
        metrics={"wmape": wmape},
        baseline_metrics={"wmape": baseline},
        aliases=aliases,
        comparison=comparison,
        approved_by=approved_by,
    )


def test_the_first_environment_takes_any_version() -> None:
    assert judge("dev", policy(), aliases=()).moved


def test_a_version_must_be_in_the_previous_environment() -> None:
    decision = judge("prod", policy(), aliases=("dev",))

    assert not decision.moved
    assert "not in staging" in decision.reason
    assert "dev -> staging -> prod" in decision.reason


def test_skipping_is_allowed_when_the_policy_says_so() -> None:
    assert judge("prod", policy(allow_skip=True), aliases=()).moved


def test_the_baseline_gate_needs_the_relative_improvement() -> None:
    rules = policy(prod=StepRule(min_improvement=0.25))

    assert judge("prod", rules, wmape=0.2, baseline=0.3).moved  # 33% better
    refused = judge("prod", rules, wmape=0.25, baseline=0.3)  # 16.7% better
    assert not refused.moved
    assert "16.7% better, needs ≥25.0%" in refused.reason


def test_a_missing_gate_metric_refuses() -> None:
    decision = decide(
        policy(prod=StepRule(min_improvement=0.0)),
        "prod",
        version=V,
        metrics={"mae": 1.0},
        baseline_metrics={"mae": 2.0},
        aliases=("staging",),
        comparison=None,
        approved_by=None,
    )

    assert not decision.moved
    assert "no recorded wmape" in decision.reason


def test_the_regression_gate_compares_with_the_incumbent() -> None:
    rules = policy(prod=StepRule(max_regression=0.05))
    slightly_worse = Comparison(OLD, candidate_score=0.21, incumbent_score=0.20, note="same")
    much_worse = Comparison(OLD, candidate_score=0.30, incumbent_score=0.20, note="same")

    assert judge("prod", rules, comparison=slightly_worse).moved  # 5% worse: allowed
    refused = judge("prod", rules, comparison=much_worse)
    assert not refused.moved
    assert "vs 1.1.0's 0.2: 50.0% worse" in refused.reason


def test_the_regression_gate_passes_when_the_environment_is_empty() -> None:
    decision = judge("prod", policy(prod=StepRule(max_regression=0.0)), comparison=None)

    assert decision.moved
    assert "no version in prod yet" in decision.reason


def test_a_non_finite_comparison_refuses() -> None:
    comparison = Comparison(OLD, candidate_score=0.2, incumbent_score=math.nan, note="same")

    decision = judge("prod", policy(prod=StepRule(max_regression=1.0)), comparison=comparison)

    assert not decision.moved
    assert "cannot compare" in decision.reason


def test_approval_holds_a_passing_version_until_given() -> None:
    rules = policy(prod=StepRule(min_improvement=0.0, approval=True))

    waiting = judge("prod", rules)
    approved = judge("prod", rules, approved_by="alice")

    assert (waiting.moved, waiting.pending_approval) == (False, True)
    assert "waits for approval" in waiting.reason
    assert approved.moved
    assert "approved by alice" in approved.reason


def test_a_failing_gate_is_refused_outright_even_when_approval_is_needed() -> None:
    decision = judge("prod", policy(prod=StepRule(min_improvement=0.5, approval=True)))

    assert (decision.moved, decision.pending_approval) == (False, False)


def test_an_environment_outside_the_order_is_an_error() -> None:
    with pytest.raises(PromotionError, match="champion"):
        judge("champion", policy())


def test_steps_must_name_environments_of_the_order() -> None:
    with pytest.raises(PromotionError, match="qa"):
        PromotionPolicy(("dev", "prod"), steps={"qa": StepRule()})


def test_the_gate_metric_must_be_a_known_metric() -> None:
    with pytest.raises(PromotionError, match="'wmap' is unknown"):
        PromotionPolicy(("dev",), metric="wmap")


def test_four_eyes_refuses_an_approval_by_the_registrant() -> None:
    rules = policy(prod=StepRule(min_improvement=0.0, approval=True, four_eyes=True))

    own = decide(
        rules,
        "prod",
        version=V,
        metrics={"wmape": 0.2},
        baseline_metrics={"wmape": 0.3},
        aliases=("staging",),
        comparison=None,
        approved_by="alice",
        registered_by="alice",
    )

    assert (own.moved, own.pending_approval) == (False, True)
    assert "someone other than alice" in own.reason
