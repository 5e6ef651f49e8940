"""Carry out the autopilot's steps through the one client surface, as its caller.

The autopilot never writes the registry itself: it asks :class:`Hands` (the client's verbs,
so every move goes through the same policy checks, gates, locks and history as a person's),
and turns each answer into an outcome with a status and a reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Protocol

from modelfleet.errors import ModelfleetError, NotFoundError
from modelfleet.monitoring.autopilot.facts import CHALLENGER
from modelfleet.monitoring.autopilot.plan import Figure, Proposal, Rules
from modelfleet.registry.records import PromotionOutcome
from modelfleet.tracking.records import RunTrigger


@dataclass(frozen=True)
class Retrained:
    """What a retraining did for each tenant asked for."""

    versions: Mapping[str, str]  # tenant -> the new candidate version registered
    reused: Mapping[str, str]  # tenant -> the version an identical retrain gave again
    unchanged: tuple[str, ...]  # tenants skipped: trained already on this data and spec
    failed: Mapping[str, str]  # tenant -> why it failed or was not registered
    fleet_run_id: str


class Hands(Protocol):
    """The writes the autopilot needs; the client provides them (its caller is the actor)."""

    def retrain(self, tenants: Sequence[str], trigger: RunTrigger) -> Retrained:
        """Train these tenants again and register what they produce."""
        ...

    def promote(self, model: str, environment: str, version: str, reason: str) -> PromotionOutcome:
        """Promote through the environment's gates."""
        ...

    def set_alias(self, model: str, alias: str, version: str, reason: str) -> None:
        """Point an alias at a version."""
        ...

    def remove_alias(self, model: str, alias: str, reason: str) -> None:
        """Delete an alias."""
        ...

    def set_traffic(
        self, model: str, environment: str, mode: str, share: float | None, reason: str
    ) -> None:
        """Route requests to the challenger."""
        ...

    def clear_traffic(self, model: str, environment: str, reason: str) -> None:
        """Back to the spec's routing."""
        ...

    def rollback(self, model: str, environment: str, reason: str) -> None:
        """Point the environment back at its previous version."""
        ...


@dataclass(frozen=True)
class Outcome:
    """What became of one proposal: done, failed, pending (approval), skipped, or held."""

    proposal: Proposal
    status: str
    reason: str
    figures: Mapping[str, Figure] = field(default_factory=dict)


def carry_out(hands: Hands, fleet: str, proposal: Proposal, rules: Rules) -> Outcome:
    """Do one non-retrain step; a refusal or error of this tenant is its outcome, not a raise."""
    model = f"{fleet}/{proposal.tenant}"
    version, env, why = str(proposal.version), rules.environment, f"autopilot: {proposal.reason}"
    try:
        if proposal.kind == "promote":
            return _promoted(hands.promote(model, str(proposal.target), version, why), proposal)
        if proposal.kind == "rollout":
            hands.set_alias(model, CHALLENGER, version, why)
            share = None if rules.mode == "shadow" else rules.share
            hands.set_traffic(model, env, rules.mode, share, why)
            return Outcome(proposal, "done", proposal.reason)
        if proposal.kind == "conclude":
            outcome = _promoted(hands.promote(model, env, version, why), proposal)
            if outcome.status == "done" and rules.mode != "direct":
                _end_rollout(hands, model, env, why)
            return outcome
        if proposal.kind == "stop":
            _end_rollout(hands, model, env, why)
            return Outcome(proposal, "done", proposal.reason)
        if proposal.kind == "rollback":
            hands.rollback(model, env, why)
            return Outcome(proposal, "done", proposal.reason)
    except ModelfleetError as exc:
        return Outcome(proposal, "failed", f"{proposal.reason}; failed: {exc}")
    raise ValueError(f"carry_out does not do {proposal.kind!r} steps")


def _promoted(outcome: PromotionOutcome, proposal: Proposal) -> Outcome:
    if outcome.moved:
        return Outcome(proposal, "done", outcome.reason)
    if outcome.pending_approval:
        return Outcome(proposal, "pending", outcome.reason, {"registry_approval": True})
    return Outcome(proposal, "failed", outcome.reason)


def _end_rollout(hands: Hands, model: str, environment: str, why: str) -> None:
    """Clear the traffic and the challenger alias (each may already be gone)."""
    # Either may already be gone (a person cleared it): the end state is the same.
    with suppress(NotFoundError):
        hands.clear_traffic(model, environment, why)
    with suppress(NotFoundError):
        hands.remove_alias(model, CHALLENGER, why)
