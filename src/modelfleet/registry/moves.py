"""Alias moves inside one write transaction: the alias, the statuses it implies, the events.

A version is ``active`` while any alias points at it and ``candidate`` otherwise (``archived``
is set explicitly and never holds an alias). Every move writes one event with from/to
versions, plus a ``status_changed`` event for each version whose status it changed, all in the
caller's transaction, after the caller locked the model, so the chain of from/to versions per
alias never breaks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from modelfleet.errors import ConflictError
from modelfleet.registry.codec import text_of
from modelfleet.registry.records import ALIAS_MOVES, EventKind
from modelfleet.registry.writes import Write
from modelfleet.store import EventRow, VersionRow

NO_VERSION: Final = "(none)"


def move_alias(
    w: Write,
    *,
    model: str,
    alias: str,
    target: VersionRow | None,
    reason: str,
    rollback: bool = False,
) -> EventRow | None:
    """Point ``alias`` at ``target`` (None removes it); None if it already points there."""
    tx = w.tx
    if target is not None and target.status == "archived":
        raise ConflictError(
            f"{model}:{text_of(target)} is archived, so no alias may point at it; "
            "register or pick another version"
        )
    current = tx.version_by_alias(model, alias)
    if (current is None and target is None) or (
        current is not None and target is not None and current.id == target.id
    ):
        return None
    if target is None:
        tx.remove_alias(model, alias)
    else:
        tx.set_alias(model, alias, target.id, w.at)
    kind: EventKind = (
        "rolled_back" if rollback else ("alias_set" if target is not None else "alias_removed")
    )
    event = w.event(
        model,
        kind,
        reason,
        alias=alias,
        from_version=text_of(current),
        to_version=text_of(target),
    )
    for row in (current, target):
        if row is not None:
            _refresh_status(w, row, alias=alias)
    return event


def _refresh_status(w: Write, row: VersionRow, *, alias: str) -> None:
    """Make ``row``'s status match whether any alias points at it, recording the change."""
    if row.status == "archived":
        return
    held = w.tx.alias_count(row.id) > 0
    status = "active" if held else "candidate"
    if status == row.status:
        return
    w.tx.set_status(row.id, status)
    why = f"alias {alias} now points at it" if held else f"alias {alias} moved away; no alias left"
    w.event(
        row.model,
        "status_changed",
        why,
        alias=alias,
        to_version=text_of(row),
        from_status=row.status,
        to_status=status,
    )


def rollback_target(events: Sequence[EventRow]) -> str | None:
    """The version an alias held before its last move that was not undone (None: no alias).

    ``events`` are one alias's moves, oldest first. Moves push onto a stack and rollbacks pop
    it, so rolling back twice walks two steps back instead of toggling between two versions.
    Raises ConflictError when there is no move left to undo.
    """
    stack: list[str | None] = [None]
    for event in events:
        if event.kind not in ALIAS_MOVES:
            continue
        if event.kind == "rolled_back":
            if len(stack) > 1:
                stack.pop()
        else:
            stack.append(event.to_version)
    if len(stack) < 2:
        raise ConflictError("nothing to roll back: no earlier move of this alias is left to undo")
    return stack[-2]
