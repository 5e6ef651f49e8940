"""Promotion and rollback: read the facts, judge them, then move the alias under a lock.

A promotion may re-score the incumbent's model on the candidate's holdout, which takes far
longer than a transaction should hold a lock (on SQLite the lock is the whole database's). So
the facts are read first without a lock, judged (:func:`~modelfleet.registry.policy.decide`),
and applied in one write transaction that locks the model, reads the same facts again and
applies the verdict only if nothing changed in between; otherwise it starts over. Two
promotions of one model can therefore run at once and never both move an alias, lose an event
or judge a state that no longer exists.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Final

from modelfleet.caller import Caller
from modelfleet.errors import ConflictError, ModelfleetError, NotFoundError
from modelfleet.registry.backend import Backend
from modelfleet.registry.codec import text_of, to_event, to_version, version_of
from modelfleet.registry.moves import move_alias, rollback_target
from modelfleet.registry.policy import Comparison, Decision, PromotionPolicy, check_order, decide
from modelfleet.registry.records import (
    ALIAS_MOVES,
    ModelEvent,
    PromotionBatch,
    PromotionOutcome,
    SemVer,
)
from modelfleet.registry.rescore import compare_on_holdout
from modelfleet.registry.writes import Write, write
from modelfleet.store import RegistryTx, VersionRow

ATTEMPTS: Final = 8  # tries when another writer changes the model between judging and moving


@dataclass(frozen=True)
class _Facts:
    """Everything a verdict depends on; compared again under the lock before moving.

    On PostgreSQL every statement of a read transaction sees its own snapshot, so facts read
    without the lock may mix two states; facts read under the lock are consistent. Applying a
    verdict only when the two compare equal means it was reached on the state it changes.
    """

    candidate: VersionRow | None
    incumbent_id: int | None
    approved_by: str | None
    missing: str  # why there is no candidate, when there is none
    incumbent: VersionRow | None = field(default=None, compare=False)  # same id, same version


def new_batch_id() -> str:
    """A fresh id tagging every event of one fleet-wide operation."""
    return uuid.uuid4().hex


def promote(
    backend: Backend,
    model: str,
    environment: str,
    *,
    policy: PromotionPolicy,
    caller: Caller,
    reason: str,
    version: SemVer | None,
    batch_id: str | None,
) -> PromotionOutcome:
    """Move ``version`` (default: the previous environment's) into ``environment`` if allowed."""
    policy.position(environment)
    # Asked before anything is read: a refusal must not depend on what exists.
    backend.policy.check(caller, "promote", [model])
    for attempt in range(ATTEMPTS):
        if attempt:  # a jittered pause, so two busy writers stop colliding in step
            time.sleep(random.uniform(0, 0.002 * attempt))
        with backend.store.registry(f"read {model} for promotion") as tx:
            facts = _facts(tx, model, environment, policy, version)
        candidate, incumbent = facts.candidate, facts.incumbent
        if candidate is not None and incumbent is not None and candidate.id == incumbent.id:
            return PromotionOutcome(
                model,
                environment,
                False,
                _v(incumbent),
                _v(candidate),
                f"{text_of(candidate)} is already in {environment}; nothing to do",
            )
        decision = _judge(backend, facts, environment, policy)
        what = f"promote {model} to {environment}"
        with write(backend, caller, "promote", [model], what) as opened:
            if _facts(opened.tx, model, environment, policy, version) != facts:
                continue  # someone moved or changed the model meanwhile: judge again
            note = f"{reason}: {decision.reason}" if reason else decision.reason
            moved = _record(opened.in_batch(batch_id), model, environment, decision, facts, note)
        return PromotionOutcome(
            model,
            environment,
            moved,
            _v(incumbent),
            _v(candidate),
            decision.reason,
            pending_approval=decision.pending_approval,
        )
    raise ConflictError(
        f"{model} kept changing while promoting it to {environment} ({ATTEMPTS} attempts); "
        "another promotion is running on it: wait for it and try again"
    )


def promote_fleet(
    backend: Backend,
    fleet: str,
    environment: str,
    *,
    policy: PromotionPolicy,
    caller: Caller,
    reason: str,
) -> PromotionBatch:
    """Promote every model of ``fleet``; one outcome per model, one batch id on all events."""
    policy.position(environment)
    backend.policy.check(caller, "promote", [f"{fleet}/*"])  # before its models are listed
    with backend.store.registry(f"list the models of fleet {fleet}") as tx:
        names = tx.model_names(fleet)
    if not names:
        raise NotFoundError(f"fleet {fleet!r} has no registered models; register its runs first")
    batch_id = new_batch_id()
    outcomes: list[PromotionOutcome] = []
    for name in names:
        try:
            outcome = promote(
                backend,
                name,
                environment,
                policy=policy,
                caller=caller,
                reason=reason,
                version=None,
                batch_id=batch_id,
            )
        except ConflictError as exc:  # one busy tenant never stops the fleet
            outcome = PromotionOutcome(name, environment, False, None, None, str(exc))
        outcomes.append(outcome)
    return PromotionBatch(batch_id, fleet, environment, tuple(outcomes))


def rollback(
    backend: Backend, model: str, environment: str, *, caller: Caller, reason: str
) -> ModelEvent:
    """Point ``environment`` back at the version it held before its last (not undone) move."""
    with write(backend, caller, "rollback", [model], f"roll back {model}@{environment}") as w:
        tx = w.tx
        history = tx.events(model=model, alias=environment, kinds=ALIAS_MOVES, newest_first=False)
        try:
            wanted = rollback_target(history)
        except ConflictError as exc:
            raise ConflictError(f"{model}@{environment}: {exc}") from None
        target = _target(tx, model, wanted)
        event = move_alias(
            w,
            model=model,
            alias=environment,
            target=target,
            reason=reason or f"roll back {environment}",
            rollback=True,
        )
        if event is None:  # pragma: no cover - the move history guarantees a change
            raise ConflictError(f"{model}@{environment} already points at {wanted}")
        return to_event(event)


def rollback_batch(
    backend: Backend, batch_id: str, *, caller: Caller, reason: str, skip_moved: bool
) -> list[ModelEvent]:
    """Undo every alias move of one fleet promotion, all in one transaction."""
    with write(backend, caller, "rollback", [], f"roll back batch {batch_id}") as opened:
        tx = opened.tx
        moves = tx.events(batch_id=batch_id, kinds=("alias_set",), newest_first=False)
        if not moves:
            raise NotFoundError(
                f"no alias moves carry batch id {batch_id!r}; promote_fleet returns the id "
                "and every event of the batch shows it in the history"
            )
        opened.lock(move.model for move in moves)
        w = opened.in_batch(new_batch_id())
        note = reason or f"roll back batch {batch_id}"
        events: list[ModelEvent] = []
        blocked: list[str] = []
        for move in moves:
            alias = move.alias or ""
            history = tx.events(model=move.model, alias=alias, kinds=ALIAS_MOVES)
            previous = version_of(move.from_version)
            target = None if previous is None else tx.version_by_key(move.model, previous.key)
            if history[0].id != move.id or (previous is not None and target is None):
                blocked.append(f"{move.model}@{alias}")
                continue
            event = move_alias(
                w, model=move.model, alias=alias, target=target, reason=note, rollback=True
            )
            if event is not None:
                events.append(to_event(event))
        if blocked and not skip_moved:
            shown = ", ".join(blocked[:10]) + (" ..." if len(blocked) > 10 else "")
            raise ConflictError(
                f"batch {batch_id}: {len(blocked)} alias(es) moved again since (or lost their "
                f"previous version), so undoing them would discard later changes: {shown}. "
                "Nothing was rolled back; roll those back one by one, or pass skip_moved=True "
                "to undo the rest"
            )
        return events


def _record(
    w: Write, model: str, environment: str, decision: Decision, facts: _Facts, note: str
) -> bool:
    """Apply a verdict under the lock: move the alias, or record why not. True if it moved."""
    if decision.moved and facts.candidate is not None:
        event = move_alias(w, model=model, alias=environment, target=facts.candidate, reason=note)
        return event is not None  # facts equal under the lock: the alias was elsewhere
    w.event(
        model,
        "promotion_rejected",
        note,
        alias=environment,
        from_version=text_of(facts.incumbent),
        to_version=text_of(facts.candidate),
    )
    return False


def _facts(
    tx: RegistryTx, model: str, environment: str, policy: PromotionPolicy, version: SemVer | None
) -> _Facts:
    if not tx.model_exists(model):
        raise NotFoundError(f"no model {model!r} is registered; register a run of it first")
    incumbent = tx.version_by_alias(model, environment)
    missing = ""
    if version is not None:
        candidate = tx.version_by_key(model, version.key)
        if candidate is None:
            raise NotFoundError(f"{model} has no version {version}; list its versions")
        if candidate.status == "archived":
            raise ConflictError(f"{model}:{version} is archived and cannot be promoted")
    else:
        candidate, missing = _default_candidate(tx, model, environment, policy)
    approval = None if candidate is None else tx.approval(model, candidate.id, environment)
    return _Facts(
        candidate=candidate,
        incumbent=incumbent,
        incumbent_id=None if incumbent is None else incumbent.id,
        approved_by=None if approval is None else approval.actor,
        missing=missing,
    )


def _default_candidate(
    tx: RegistryTx, model: str, environment: str, policy: PromotionPolicy
) -> tuple[VersionRow | None, str]:
    """The version in the previous environment; for the first one, the newest usable version."""
    earlier = policy.earlier(environment)
    if earlier:
        for env in earlier if policy.allow_skip else earlier[:1]:
            found = tx.version_by_alias(model, env)
            if found is not None:
                return found, ""
        if not policy.allow_skip:
            return None, f"{earlier[0]} holds no version (order {' -> '.join(policy.order)})"
    latest = tx.latest_version(model, include_archived=False)
    return latest, "" if latest is not None else "every version is archived or deleted"


def _judge(
    backend: Backend,
    facts: _Facts,
    environment: str,
    policy: PromotionPolicy,
) -> Decision:
    """The verdict on ``facts``, re-scoring the incumbent when the step's gate needs it."""
    incumbent = facts.incumbent
    if facts.candidate is None:
        return Decision(False, f"nothing to promote to {environment}: {facts.missing}")
    candidate = to_version(facts.candidate)
    comparison: Comparison | None = None
    gated = policy.rule(environment).max_regression is not None
    in_order = check_order(policy, environment, candidate.aliases) is None
    if gated and in_order and incumbent is not None:
        try:
            comparison = compare_on_holdout(
                backend.read_artifact, candidate, to_version(incumbent), policy.metric
            )
        except Exception as exc:  # isolation: a broken artifact refuses, never crashes
            detail = str(exc) if isinstance(exc, ModelfleetError) else repr(exc)
            return Decision(
                False,
                f"{candidate.version} -> {environment} refused: could not score "
                f"{text_of(incumbent)} on the same holdout ({detail})",
            )
    return decide(
        policy,
        environment,
        version=candidate.version,
        metrics=candidate.metrics,
        baseline_metrics=candidate.baseline_metrics,
        aliases=candidate.aliases,
        comparison=comparison,
        approved_by=facts.approved_by,
        registered_by=candidate.created_by,
    )


def _target(tx: RegistryTx, model: str, version: str | None) -> VersionRow | None:
    if version is None:
        return None
    target = tx.version_by_key(model, SemVer.parse(version).key)
    if target is None:
        raise ConflictError(
            f"{model}: the version to roll back to, {version}, was deleted; promote or set "
            "another version instead"
        )
    return target


def _v(row: VersionRow | None) -> SemVer | None:
    return None if row is None else SemVer(row.major, row.minor, row.patch)
