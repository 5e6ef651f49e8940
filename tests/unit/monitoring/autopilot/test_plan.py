"""The autopilot's decision for one tenant (``propose``): one step, in order of precedence."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from tests.unit.monitoring.autopilot.conftest import NOW, ActionFactory, live, perf

from modelfleet.monitoring.autopilot.canary import PairedErrors, paired_verdict
from modelfleet.monitoring.autopilot.plan import Rules, TenantFacts, propose


def facts(**changes: object) -> TenantFacts:
    base = TenantFacts(tenant="t1", live=live(), aliases={"1.0.0": ("dev", "prod", "staging")})
    return replace(base, **changes)  # type: ignore[arg-type]


def verdict(better: bool, pairs: int = 40):
    rng = np.random.default_rng(0)
    small, large = rng.uniform(0, 1, pairs), rng.uniform(5, 6, pairs)
    champion, challenger = (large, small) if better else (small, large)
    errors = PairedErrors(champion, challenger, np.full(pairs, 100.0))
    return paired_verdict(errors, min_pairs=30, alpha=0.05)


def test_a_healthy_tenant_gets_no_step(rules: Rules) -> None:
    assert propose(facts(), rules, NOW) is None


def test_a_tenant_with_nothing_live_is_left_alone(rules: Rules) -> None:
    assert propose(facts(live=None, breaches=frozenset({"drift"})), rules, NOW) is None


def test_a_drift_breach_asks_for_a_retrain_triggered_by_drift(rules: Rules) -> None:
    step = propose(facts(breaches=frozenset({"drift"})), rules, NOW)

    assert step is not None
    assert (step.kind, step.trigger, step.version) == ("retrain", "drift", "1.0.0")
    assert "drifted" in step.reason


def test_a_performance_breach_asks_for_a_retrain_triggered_by_performance(rules: Rules) -> None:
    step = propose(facts(breaches=frozenset({"performance"})), rules, NOW)

    assert step is not None and (step.kind, step.trigger) == ("retrain", "performance")


def test_breaches_are_ignored_when_the_policy_switches_them_off(rules: Rules) -> None:
    off = replace(rules, on_drift=False, on_degradation=False)

    assert propose(facts(breaches=frozenset({"drift", "performance"})), off, NOW) is None


def test_a_live_version_older_than_the_schedule_is_retrained(rules: Rules) -> None:
    scheduled = replace(rules, schedule=timedelta(days=2))

    step = propose(facts(), scheduled, NOW)

    assert step is not None and (step.kind, step.trigger) == ("retrain", "schedule")


def test_a_live_version_younger_than_the_schedule_is_not(rules: Rules) -> None:
    assert propose(facts(), replace(rules, schedule=timedelta(days=30)), NOW) is None


def test_a_retrain_within_the_cooldown_is_held(rules: Rules, action: ActionFactory) -> None:
    recent = action("retrain", "skipped", ago=timedelta(hours=2))

    step = propose(facts(breaches=frozenset({"drift"}), actions=(recent,)), rules, NOW)

    assert step is not None and step.kind == "hold"
    assert "cooling down until" in step.reason


def test_a_retrain_after_the_cooldown_goes_ahead(rules: Rules, action: ActionFactory) -> None:
    old = action("retrain", "skipped", ago=timedelta(days=8))

    step = propose(facts(breaches=frozenset({"drift"}), actions=(old,)), rules, NOW)

    assert step is not None and step.kind == "retrain"


def test_a_fresh_candidate_is_promoted_into_the_first_earlier_environment(
    rules: Rules, action: ActionFactory
) -> None:
    trained = action("retrain", "done", candidate="1.1.0")
    aliases = {"1.0.0": ("dev", "prod", "staging"), "1.1.0": ()}

    step = propose(facts(actions=(trained,), aliases=aliases), rules, NOW)

    assert step is not None and (step.kind, step.version, step.target) == (
        "promote",
        "1.1.0",
        "dev",
    )


def test_a_candidate_in_every_earlier_environment_is_rolled_out_as_the_challenger(
    rules: Rules, action: ActionFactory
) -> None:
    trained = action("retrain", "done", candidate="1.1.0")
    aliases = {"1.0.0": ("prod",), "1.1.0": ("dev", "staging")}

    step = propose(facts(actions=(trained,), aliases=aliases), rules, NOW)

    assert step is not None and (step.kind, step.target) == ("rollout", "prod")
    assert step.figures["mode"] == "canary"


def test_with_direct_rollout_a_ready_candidate_is_promoted_into_the_target(
    rules: Rules, action: ActionFactory
) -> None:
    trained = action("retrain", "done", candidate="1.1.0")
    aliases = {"1.0.0": ("prod",), "1.1.0": ("dev", "staging")}

    step = propose(facts(actions=(trained,), aliases=aliases), replace(rules, mode="direct"), NOW)

    assert step is not None and (step.kind, step.target) == ("conclude", "prod")


def test_a_candidate_refused_by_a_gate_is_not_proposed_again(
    rules: Rules, action: ActionFactory
) -> None:
    trained = action("retrain", "done", candidate="1.1.0", ago=timedelta(days=3))
    refused = action("promote", "failed", version="1.1.0", to="staging")
    aliases = {"1.0.0": ("prod",), "1.1.0": ("dev",)}

    assert propose(facts(actions=(trained, refused), aliases=aliases), rules, NOW) is None


def test_a_candidate_that_was_archived_is_not_proposed(rules: Rules, action: ActionFactory) -> None:
    trained = action("retrain", "done", candidate="1.1.0", ago=timedelta(days=3))

    assert propose(facts(actions=(trained,)), rules, NOW) is None  # 1.1.0 has no aliases entry


def test_a_running_rollout_without_enough_pairs_is_held(
    rules: Rules, action: ActionFactory
) -> None:
    started = action("rollout", "done", version="1.1.0", to="prod")

    step = propose(facts(actions=(started,)), rules, NOW)

    assert step is not None and step.kind == "hold"
    assert "a verdict needs 30" in step.reason


def test_a_rollout_whose_challenger_is_better_is_concluded(
    rules: Rules, action: ActionFactory
) -> None:
    started = action("rollout", "done", version="1.1.0", to="prod")

    step = propose(facts(actions=(started,), verdict=verdict(better=True)), rules, NOW)

    assert step is not None and (step.kind, step.version, step.target) == (
        "conclude",
        "1.1.0",
        "prod",
    )
    assert step.figures["outcome"] == "better"


def test_a_rollout_whose_challenger_is_worse_is_stopped(
    rules: Rules, action: ActionFactory
) -> None:
    started = action("rollout", "done", version="1.1.0", to="prod")

    step = propose(facts(actions=(started,), verdict=verdict(better=False)), rules, NOW)

    assert step is not None and step.kind == "stop" and "worse" in step.reason


def test_a_rollout_past_its_maximum_duration_is_stopped(
    rules: Rules, action: ActionFactory
) -> None:
    started = action("rollout", "done", version="1.1.0", ago=timedelta(days=15), to="prod")

    step = propose(facts(actions=(started,)), rules, NOW)

    assert step is not None and step.kind == "stop" and "no verdict within" in step.reason


def test_a_rollout_changed_by_someone_else_is_stopped(rules: Rules, action: ActionFactory) -> None:
    started = action("rollout", "done", version="1.1.0", to="prod")

    step = propose(facts(actions=(started,), rollout_intact=False), rules, NOW)

    assert step is not None and step.kind == "stop" and "outside the autopilot" in step.reason


def test_a_stopped_rollout_is_over(rules: Rules, action: ActionFactory) -> None:
    started = action("rollout", "done", version="1.1.0", ago=timedelta(days=2), to="prod")
    stopped = action("stop", "done", version="1.1.0", to="prod")

    assert propose(facts(actions=(started, stopped)), rules, NOW) is None


def test_a_new_version_worse_than_its_holdout_is_rolled_back(rules: Rules) -> None:
    bad = live("1.1.0", entered=timedelta(days=2), previous="1.0.0", performance=perf("1.1.0", 0.2))

    step = propose(facts(live=bad), rules, NOW)

    assert step is not None and (step.kind, step.version) == ("rollback", "1.1.0")
    assert "rolling back to 1.0.0" in step.reason and step.figures["live_wmape"] == 0.2


def test_a_new_version_worse_than_the_one_before_it_is_rolled_back(rules: Rules) -> None:
    bad = live(
        "1.1.0",
        entered=timedelta(days=2),
        previous="1.0.0",
        performance=perf("1.1.0", 0.104),  # within 5% of its own holdout
        previous_performance=perf("1.0.0", 0.08),
    )

    step = propose(facts(live=bad), rules, NOW)

    assert step is not None and step.kind == "rollback" and "for 1.0.0" in step.reason


def test_a_worse_version_on_too_few_outcomes_is_kept(rules: Rules) -> None:
    thin = live(
        "1.1.0", entered=timedelta(days=2), previous="1.0.0", performance=perf("1.1.0", 0.3, rows=3)
    )

    assert propose(facts(live=thin), rules, NOW) is None


def test_a_version_live_for_longer_than_the_rollback_window_is_kept(rules: Rules) -> None:
    old = live(
        "1.1.0", entered=timedelta(days=20), previous="1.0.0", performance=perf("1.1.0", 0.3)
    )

    assert propose(facts(live=old), rules, NOW) is None


def test_a_version_already_rolled_back_once_is_not_rolled_back_again(
    rules: Rules, action: ActionFactory
) -> None:
    bad = live("1.1.0", entered=timedelta(days=1), previous="1.0.0", performance=perf("1.1.0", 0.3))
    before = action("rollback", "done", version="1.1.0", ago=timedelta(days=2))

    step = propose(facts(live=bad, actions=(before,)), rules, NOW)

    assert step is None or step.kind != "rollback"


def test_rollback_is_off_when_the_policy_says_so(rules: Rules) -> None:
    bad = live("1.1.0", entered=timedelta(days=2), previous="1.0.0", performance=perf("1.1.0", 0.3))

    assert propose(facts(live=bad), replace(rules, rollback=False), NOW) is None


@pytest.mark.parametrize("status", ["failed", "rejected"])
def test_a_rollout_whose_promotion_was_refused_is_stopped(
    rules: Rules, action: ActionFactory, status: str
) -> None:
    started = action("rollout", "done", version="1.1.0", ago=timedelta(hours=3), to="prod")
    refused = action("conclude", status, version="1.1.0", to="prod")

    step = propose(facts(actions=(started, refused), verdict=verdict(better=True)), rules, NOW)

    assert step is not None and step.kind == "stop" and f"was {status}" in step.reason


def test_a_conclusion_waiting_for_approval_is_proposed_again_to_be_held(
    rules: Rules, action: ActionFactory
) -> None:
    started = action("rollout", "done", version="1.1.0", ago=timedelta(hours=3), to="prod")
    waiting = action("conclude", "pending", version="1.1.0", to="prod")

    step = propose(facts(actions=(started, waiting), verdict=verdict(better=True)), rules, NOW)

    assert step is not None and step.kind == "conclude"


def test_the_memory_span_outlasts_every_duration_of_the_policy(rules: Rules) -> None:
    long = replace(rules, schedule=timedelta(days=120), max_duration=timedelta(days=30))

    assert rules.memory_span == timedelta(days=90)
    assert long.memory_span == timedelta(days=240)
