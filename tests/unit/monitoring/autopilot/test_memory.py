"""The autopilot's memory: what its earlier action records mean for the next pass."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.monitoring.autopilot.conftest import NOW, ActionFactory

from modelfleet.monitoring.autopilot.memory import Memory


def test_the_candidate_is_the_newest_trained_version_newer_than_live(action: ActionFactory) -> None:
    rows = (
        action("retrain", "done", candidate="1.1.0"),
        action("retrain", "done", candidate="1.2.0"),
    )

    assert Memory(rows).candidate("1.0.0") == "1.2.0"


def test_a_trained_version_not_newer_than_live_is_no_candidate(action: ActionFactory) -> None:
    assert Memory((action("retrain", "done", candidate="1.1.0"),)).candidate("1.1.0") is None


def test_a_skipped_retrain_makes_no_candidate(action: ActionFactory) -> None:
    assert Memory((action("retrain", "skipped"),)).candidate("1.0.0") is None


def test_a_rolled_back_version_is_ended(action: ActionFactory) -> None:
    rows = (action("retrain", "done", candidate="1.1.0"), action("rollback", "done", "1.1.0"))

    assert Memory(rows).ended("1.1.0") is not None and Memory(rows).candidate("1.0.0") is None


def test_a_rejected_promotion_ends_the_candidate(action: ActionFactory) -> None:
    rows = (
        action("retrain", "done", candidate="1.1.0"),
        action("promote", "rejected", "1.1.0", to="prod"),
    )

    assert Memory(rows).candidate("1.0.0") is None


def test_the_last_retrain_counts_failed_and_skipped_tries(action: ActionFactory) -> None:
    rows = (
        action("retrain", "done", ago=timedelta(days=3)),
        action("retrain", "failed", ago=timedelta(hours=5)),
    )

    assert Memory(rows).last_retrain() == NOW - timedelta(hours=5)


def test_a_pending_approval_is_found_for_the_same_step_only(action: ActionFactory) -> None:
    pending = action("promote", "pending", "1.1.0", to="prod")
    memory = Memory((pending,))

    assert memory.decision("promote", "1.1.0", "prod") == pending
    assert memory.decision("promote", "1.1.0", "staging") is None
    assert memory.decision("promote", "1.2.0", "prod") is None


def test_an_approval_that_was_used_is_not_reused(action: ActionFactory) -> None:
    rows = (
        action("retrain", "approved", "1.0.0"),
        action("retrain", "done", "1.0.0", candidate="1.1.0"),
    )

    assert Memory(rows).decision("retrain", "1.0.0", None) is None


def test_a_rollout_is_running_until_it_is_concluded(action: ActionFactory) -> None:
    started = action("rollout", "done", "1.1.0", to="prod")

    assert Memory((started,)).rollout() == started
    assert Memory((started, action("conclude", "done", "1.1.0", to="prod"))).rollout() is None
