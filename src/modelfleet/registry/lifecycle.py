"""Direct lifecycle writes: set or remove an alias, approve, archive, delete a version.

Each is one write transaction that locks the model first; promotion with its policy checks is
:mod:`.promotion`'s.
"""

from __future__ import annotations

from modelfleet.errors import ConflictError
from modelfleet.registry.backend import Backend, missing, unaliased_row, version_row
from modelfleet.registry.codec import to_event
from modelfleet.registry.moves import move_alias
from modelfleet.registry.records import ModelEvent, SemVer
from modelfleet.store import ApprovalRow, NewEventRow


def set_alias(
    backend: Backend, model: str, alias: str, version: SemVer, *, actor: str, reason: str
) -> ModelEvent:
    """Point ``alias`` at ``version``; where it already points, return the move that did it."""
    with backend.store.registry(f"set {model}@{alias}", write=True) as tx:
        tx.lock([model])
        target = version_row(tx, model, version)
        event = move_alias(
            tx,
            model=model,
            alias=alias,
            target=target,
            actor=actor,
            reason=reason,
            at=backend.clock(),
        )
        if event is None:
            event = tx.events(model=model, alias=alias, kinds=("alias_set", "rolled_back"))[0]
        return to_event(event)


def remove_alias(
    backend: Backend, model: str, alias: str, *, actor: str, reason: str
) -> ModelEvent:
    """Delete ``alias``; NotFoundError naming the model's aliases if it does not exist."""
    with backend.store.registry(f"remove {model}@{alias}", write=True) as tx:
        tx.lock([model])
        event = move_alias(
            tx,
            model=model,
            alias=alias,
            target=None,
            actor=actor,
            reason=reason,
            at=backend.clock(),
        )
        if event is None:
            raise missing(tx, model, f"alias {alias!r}")
        return to_event(event)


def approve(
    backend: Backend, model: str, version: SemVer, environment: str, *, actor: str, reason: str
) -> ModelEvent:
    """Record an approval of ``version`` for ``environment``; approving again is a no-op."""
    with backend.store.registry(f"approve {model}:{version} for {environment}", write=True) as tx:
        tx.lock([model])
        row = version_row(tx, model, version)
        if row.status == "archived":
            raise ConflictError(f"{model}:{version} is archived; approve another version")
        if tx.approval(model, row.id, environment) is not None:
            given = tx.events(model=model, alias=environment, kinds=("approved",))
            first = [event for event in given if event.to_version == str(version)][-1:]
            if first:
                return to_event(first[0])
        at = backend.clock()
        tx.add_approval(ApprovalRow(model, row.id, environment, actor, at, reason))
        event = tx.add_event(
            NewEventRow(
                model=model,
                kind="approved",
                actor=actor,
                reason=reason,
                at=at,
                alias=environment,
                to_version=str(version),
            )
        )
        return to_event(event)


def archive(
    backend: Backend, model: str, version: SemVer, *, actor: str, reason: str
) -> ModelEvent:
    """Mark a version archived; ConflictError while an alias points at it or if it already is."""
    with backend.store.registry(f"archive {model}:{version}", write=True) as tx:
        tx.lock([model])
        row = unaliased_row(tx, model, version, "archive")
        if row.status == "archived":
            raise ConflictError(f"{model}:{version} is already archived")
        tx.set_status(row.id, "archived")
        event = tx.add_event(
            NewEventRow(
                model=model,
                kind="status_changed",
                actor=actor,
                reason=reason,
                at=backend.clock(),
                to_version=str(version),
                from_status=row.status,
                to_status="archived",
            )
        )
        return to_event(event)


def delete_version(
    backend: Backend, model: str, version: SemVer, *, actor: str, reason: str
) -> None:
    """Delete a version's record (never its artifacts); its events stay in the history."""
    with backend.store.registry(f"delete {model}:{version}", write=True) as tx:
        tx.lock([model])
        row = unaliased_row(tx, model, version, "delete")
        tx.delete_version(row.id)
        tx.add_event(
            NewEventRow(
                model=model,
                kind="deleted",
                actor=actor,
                reason=reason,
                at=backend.clock(),
                from_version=str(version),
                from_status=row.status,
            )
        )
