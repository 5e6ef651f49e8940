"""Promotion under a policy: order, gates, approvals, outcomes, events, fleet-wide runs."""

from __future__ import annotations

import pytest

from modelfleet.errors import ConflictError, NotFoundError, PromotionError
from modelfleet.registry import PromotionOutcome, PromotionPolicy, Registry, SemVer, StepRule

from .conftest import ENVIRONMENTS, Add, policy

OPEN = policy()


def promote(
    registry: Registry,
    env: str,
    rules: PromotionPolicy = OPEN,
    *,
    version: str | None = None,
    reason: str = "",
) -> PromotionOutcome:
    return registry.promote(
        "demand/s1", env, policy=rules, caller="alice", version=version, reason=reason
    )


def test_the_first_environment_takes_the_newest_version(registry: Registry, add: Add) -> None:
    add("s1")
    add("s1")

    outcome = promote(registry, "dev")

    assert (outcome.moved, outcome.from_version, outcome.to_version) == (
        True,
        None,
        SemVer(1, 1, 0),
    )
    assert registry.resolve("demand/s1@dev").version == SemVer(1, 1, 0)


def test_a_later_environment_takes_the_version_of_the_previous_one(
    registry: Registry, add: Add
) -> None:
    add("s1")
    promote(registry, "dev")
    add("s1")  # newer, but not in dev

    outcome = promote(registry, "staging")

    assert outcome.moved
    assert outcome.to_version == SemVer(1, 0, 0)


def test_skipping_an_environment_is_refused_by_default(registry: Registry, add: Add) -> None:
    add("s1")
    promote(registry, "dev")

    outcome = promote(registry, "prod", version="1.0.0")

    assert not outcome.moved
    assert "not in staging" in outcome.reason
    with pytest.raises(NotFoundError):
        registry.resolve("demand/s1@prod")


def test_nothing_in_the_previous_environment_is_reported(registry: Registry, add: Add) -> None:
    add("s1")

    outcome = promote(registry, "staging")

    assert not outcome.moved
    assert "dev holds no version" in outcome.reason


def test_skipping_is_allowed_when_the_policy_allows_it(registry: Registry, add: Add) -> None:
    add("s1")

    outcome = promote(registry, "prod", PromotionPolicy(ENVIRONMENTS, allow_skip=True))

    assert outcome.moved
    assert registry.resolve("demand/s1@prod").version == SemVer(1, 0, 0)


def test_the_baseline_gate_refuses_a_candidate_that_does_not_beat_it_enough(
    registry: Registry, add: Add
) -> None:
    add("s1", wmape=0.28, baseline=0.30)
    rules = policy(dev=StepRule(min_improvement=0.10))

    outcome = promote(registry, "dev", rules)

    assert not outcome.moved
    assert "6.7% better, needs ≥10.0%" in outcome.reason


def test_approval_leaves_the_promotion_pending_until_given(registry: Registry, add: Add) -> None:
    add("s1")
    rules = policy(dev=StepRule(approval=True))

    pending = promote(registry, "dev", rules)
    registry.approve("demand/s1", "1.0.0", "dev", caller="boss", reason="reviewed the card")
    moved = promote(registry, "dev", rules)

    assert (pending.moved, pending.pending_approval) == (False, True)
    assert (moved.moved, moved.pending_approval) == (True, False)
    assert "approved by boss" in moved.reason


def test_an_approval_is_for_one_version_and_environment(registry: Registry, add: Add) -> None:
    add("s1")
    add("s1")
    registry.approve("demand/s1", "1.0.0", "dev", caller="boss")

    outcome = promote(registry, "dev", policy(dev=StepRule(approval=True)))  # newest: 1.1.0

    assert outcome.pending_approval


def test_approving_twice_returns_the_first_approval(registry: Registry, add: Add) -> None:
    add("s1")

    first = registry.approve("demand/s1", "1.0.0", "prod", caller="boss", reason="ok")
    second = registry.approve("demand/s1", "1.0.0", "prod", caller="other", reason="ok too")

    assert second == first


def test_every_outcome_is_an_event(registry: Registry, add: Add) -> None:
    add("s1", wmape=0.29, baseline=0.30)
    promote(registry, "dev", policy(dev=StepRule(min_improvement=0.5)), reason="try")
    promote(registry, "dev", reason="ship it")

    kinds = [(e.kind, e.alias, e.actor) for e in registry.history("demand/s1")]

    assert kinds[:3] == [
        ("status_changed", "dev", "alice"),
        ("alias_set", "dev", "alice"),
        ("promotion_rejected", "dev", "alice"),
    ]
    rejected = registry.history("demand/s1")[2]
    assert rejected.reason.startswith("try: 1.0.0 -> dev refused")
    assert rejected.to_version == SemVer(1, 0, 0)


def test_promotion_marks_the_new_version_active_and_the_old_candidate(
    registry: Registry, add: Add
) -> None:
    add("s1")
    promote(registry, "dev")
    add("s1")

    promote(registry, "dev")

    statuses = {str(v.version): v.status for v in registry.versions("demand/s1")}
    assert statuses == {"1.1.0": "active", "1.0.0": "candidate"}
    changes = [e for e in registry.history("demand/s1") if e.kind == "status_changed"][:2]
    assert {(str(e.to_version), e.from_status, e.to_status) for e in changes} == {
        ("1.1.0", "candidate", "active"),
        ("1.0.0", "active", "candidate"),
    }


def test_promoting_what_is_already_there_changes_nothing(registry: Registry, add: Add) -> None:
    add("s1")
    promote(registry, "dev")
    events = len(registry.history("demand/s1"))

    outcome = promote(registry, "dev")

    assert not outcome.moved
    assert "already in dev" in outcome.reason
    assert len(registry.history("demand/s1")) == events


def test_an_environment_outside_the_order_is_refused(registry: Registry, add: Add) -> None:
    add("s1")

    with pytest.raises(PromotionError, match="set_alias"):
        promote(registry, "champion")


def test_an_archived_version_cannot_be_promoted(registry: Registry, add: Add) -> None:
    add("s1")
    registry.archive("demand/s1", "1.0.0", caller="a")

    with pytest.raises(ConflictError, match="archived"):
        promote(registry, "dev", version="1.0.0")


def test_set_alias_moves_any_alias_without_a_policy(registry: Registry, add: Add) -> None:
    add("s1")
    add("s1")

    event = registry.set_alias("demand/s1", "champion", "1.0.0", caller="a", reason="A/B")
    registry.set_alias("demand/s1", "challenger", "1.1.0", caller="a", reason="A/B")

    assert (event.kind, event.alias, event.to_version) == ("alias_set", "champion", SemVer(1, 0, 0))
    assert registry.resolve("demand/s1@challenger").version == SemVer(1, 1, 0)


def test_remove_alias_deletes_it_and_records_the_move(registry: Registry, add: Add) -> None:
    add("s1")
    registry.set_alias("demand/s1", "champion", "1.0.0", caller="a", reason="")

    event = registry.remove_alias("demand/s1", "champion", caller="a", reason="experiment over")

    assert (event.kind, event.from_version, event.to_version) == (
        "alias_removed",
        SemVer(1, 0, 0),
        None,
    )
    assert registry.resolve("demand/s1:1.0.0").status == "candidate"


def test_fleet_promotion_reports_every_tenant_under_one_batch(registry: Registry, add: Add) -> None:
    add("s1", wmape=0.10, baseline=0.30)
    add("s2", wmape=0.29, baseline=0.30)
    add("s3", wmape=0.05, baseline=0.30)
    rules = policy(dev=StepRule(min_improvement=0.2))

    batch = registry.promote_fleet("demand", "dev", policy=rules, caller="ci", reason="nightly")

    assert [(o.model, o.moved) for o in batch.outcomes] == [
        ("demand/s1", True),
        ("demand/s2", False),
        ("demand/s3", True),
    ]
    assert "needs ≥20.0%" in batch.not_moved[0].reason
    tagged = [e for m in ("demand/s1", "demand/s2") for e in registry.history(m) if e.batch_id]
    assert {e.batch_id for e in tagged} == {batch.batch_id}


def test_fleet_promotion_of_an_unknown_fleet_is_not_found(registry: Registry) -> None:
    with pytest.raises(NotFoundError, match="no registered models"):
        registry.promote_fleet("demand", "dev", policy=OPEN, caller="ci")


def test_under_four_eyes_the_registrants_own_approval_does_not_count(
    registry: Registry, add: Add
) -> None:
    add("s1")  # registered by "trainer"
    rules = policy(dev=StepRule(approval=True, four_eyes=True))

    registry.approve("demand/s1", "1.0.0", "dev", caller="trainer")
    own = promote(registry, "dev", rules)
    registry.approve("demand/s1", "1.0.0", "dev", caller="boss")
    other = promote(registry, "dev", rules)

    assert (own.moved, own.pending_approval) == (False, True)
    assert "someone other than trainer" in own.reason
    assert other.moved and "approved by boss" in other.reason


def test_under_four_eyes_a_later_registrant_approval_does_not_replace_anothers(
    registry: Registry, add: Add
) -> None:
    add("s1")
    rules = policy(dev=StepRule(approval=True, four_eyes=True))

    registry.approve("demand/s1", "1.0.0", "dev", caller="boss")
    registry.approve("demand/s1", "1.0.0", "dev", caller="trainer")

    assert promote(registry, "dev", rules).moved
