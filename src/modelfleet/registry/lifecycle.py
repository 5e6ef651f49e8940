"""Direct lifecycle writes: set or remove an alias, approve, archive, delete a version.

Each is one :func:`~modelfleet.registry.writes.write` (the caller checked, the model locked,
every event stamped with the caller); promotion with its policy checks is :mod:`.promotion`'s.
"""

from __future__ import annotations

from modelfleet.caller import Caller
from modelfleet.errors import ConflictError
from modelfleet.registry.backend import Backend, missing, unaliased_row, version_row
from modelfleet.registry.codec import to_event
from modelfleet.registry.moves import move_alias
from modelfleet.registry.records import ModelEvent, SemVer
from modelfleet.registry.writes import write
from modelfleet.store import ApprovalRow


def set_alias(
    backend: Backend, model: str, alias: str, version: SemVer, *, caller: Caller, reason: str
) -> ModelEvent:
    """Point ``alias`` at ``version``; where it already points, return the move that did it."""
    with write(backend, caller, "set_alias", [model], f"set {model}@{alias}") as w:
        target = version_row(w.tx, model, version)
        event = move_alias(w, model=model, alias=alias, target=target, reason=reason)
        if event is None:
            event = w.tx.events(model=model, alias=alias, kinds=("alias_set", "rolled_back"))[0]
        return to_event(event)


def remove_alias(
    backend: Backend, model: str, alias: str, *, caller: Caller, reason: str
) -> ModelEvent:
    """Delete ``alias``; NotFoundError naming the model's aliases if it does not exist."""
    with write(backend, caller, "remove_alias", [model], f"remove {model}@{alias}") as w:
        event = move_alias(w, model=model, alias=alias, target=None, reason=reason)
        if event is None:
            raise missing(w.tx, model, f"alias {alias!r}")
        return to_event(event)


def approve(
    backend: Backend, model: str, version: SemVer, environment: str, *, caller: Caller, reason: str
) -> ModelEvent:
    """Record an approval of ``version`` for ``environment``; approving again is a no-op."""
    what = f"approve {model}:{version} for {environment}"
    with write(backend, caller, "approve", [model], what) as w:
        row = version_row(w.tx, model, version)
        if row.status == "archived":
            raise ConflictError(f"{model}:{version} is archived; approve another version")
        held = w.tx.approval(model, row.id, environment)
        # Approving again is a no-op, unless the approval held is the registrant's own and
        # another person approves now: under a four-eyes rule only theirs can count.
        by_registrant = held is not None and held.actor == row.created_by
        if held is not None and not (by_registrant and w.actor != held.actor):
            given = w.tx.events(model=model, alias=environment, kinds=("approved",))
            first = [event for event in given if event.to_version == str(version)][-1:]
            if first:
                return to_event(first[0])
        approval = ApprovalRow(model, row.id, environment, w.actor, w.at, reason)
        w.tx.add_approval(approval, replace=held is not None)
        event = w.event(model, "approved", reason, alias=environment, to_version=str(version))
        return to_event(event)


def archive(
    backend: Backend, model: str, version: SemVer, *, caller: Caller, reason: str
) -> ModelEvent:
    """Mark a version archived; ConflictError while an alias points at it or if it already is."""
    with write(backend, caller, "archive", [model], f"archive {model}:{version}") as w:
        row = unaliased_row(w.tx, model, version, "archive")
        if row.status == "archived":
            raise ConflictError(f"{model}:{version} is already archived")
        w.tx.set_status(row.id, "archived")
        event = w.event(
            model,
            "status_changed",
            reason,
            to_version=str(version),
            from_status=row.status,
            to_status="archived",
        )
        return to_event(event)


def delete_version(
    backend: Backend, model: str, version: SemVer, *, caller: Caller, reason: str
) -> None:
    """Delete a version's record (never its artifacts); its events stay in the history."""
    with write(backend, caller, "delete", [model], f"delete {model}:{version}") as w:
        row = unaliased_row(w.tx, model, version, "delete")
        w.tx.delete_version(row.id)
        w.event(model, "deleted", reason, from_version=str(version), from_status=row.status)
