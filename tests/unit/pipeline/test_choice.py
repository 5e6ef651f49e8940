"""The per-tenant choice on validation scores: best model vs baseline, with the gate's margin."""

from __future__ import annotations

import math

import pytest

from modelfleet.pipeline.choice import choose


def _scores(**wmape: float) -> dict[str, dict[str, float]]:
    return {name: {"wmape": value} for name, value in wmape.items()}


def test_the_better_model_is_chosen_when_it_beats_the_baseline() -> None:
    choice = choose("wmape", 0.0, _scores(per_tenant=0.10, pooled=0.08, baseline=0.12))

    assert (choice.chosen, choice.best) == ("pooled", "pooled")
    assert choice.reason.startswith("chose pooled on validation")


def test_the_baseline_is_chosen_when_every_model_loses_to_it() -> None:
    choice = choose("wmape", 0.0, _scores(per_tenant=0.15, pooled=0.13, baseline=0.12))

    assert choice.fell_back and choice.best == "pooled"
    assert "every model lost to the baseline" in choice.reason


def test_min_improvement_must_be_cleared_to_beat_the_baseline() -> None:
    # 4% better than the baseline is not the 5% the gate asks for.
    choice = choose("wmape", 0.05, _scores(per_tenant=0.096, baseline=0.10))

    assert choice.chosen == "baseline"
    assert "needs ≥5.0%" in choice.reason


def test_a_model_whose_score_is_not_a_number_never_wins() -> None:
    choice = choose("wmape", 0.0, _scores(per_tenant=math.nan, pooled=0.09, baseline=0.12))

    assert choice.chosen == "pooled"


def test_a_tie_between_models_goes_to_the_per_tenant_model() -> None:
    choice = choose("wmape", 0.0, _scores(per_tenant=0.09, pooled=0.09, baseline=0.12))

    assert choice.chosen == "per_tenant"


def test_metrics_that_grow_better_pick_the_highest_score() -> None:
    scores = {
        "per_tenant": {"roc_auc": 0.7},
        "pooled": {"roc_auc": 0.8},
        "baseline": {"roc_auc": 0.5},
    }

    assert choose("roc_auc", 0.0, scores).chosen == "pooled"


def test_choosing_without_a_baseline_is_refused() -> None:
    with pytest.raises(ValueError, match="needs the baseline"):
        choose("wmape", 0.0, _scores(per_tenant=0.1))
