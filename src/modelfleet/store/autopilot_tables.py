"""The metadata store's part for the autopilot: its actions and its lock (a part of
:class:`~modelfleet.store.metadata_store.MetadataStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import Connection

from modelfleet.errors import ConflictError, NotFoundError
from modelfleet.store import autopilot


class AutopilotTables:
    """Reads and writes of autopilot actions and locks."""

    def _reading(self, action: str) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # the store's own

    def _writing(self, action: str) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # the store's own

    def add_autopilot_actions(self, rows: Sequence[autopilot.NewActionRow]) -> None:
        """Record autopilot actions in one transaction."""
        if rows:
            with self._writing(f"record {len(rows)} autopilot action(s)") as connection:
                autopilot.insert_actions(connection, rows)

    def autopilot_actions(
        self,
        fleet: str | None = None,
        environment: str | None = None,
        status: str | None = None,
        limit: int | None = 1000,
        pass_id: str | None = None,
        since: datetime | None = None,
    ) -> list[autopilot.ActionRow]:
        """Autopilot actions, newest first (None: any fleet, environment, status, pass, or
        time; ``since``: recorded at or after it)."""
        with self._reading("read autopilot actions") as connection:
            return autopilot.select_actions(
                connection, fleet, environment, status, limit, pass_id, since
            )

    def autopilot_action(self, action_id: int) -> autopilot.ActionRow:
        """One autopilot action; NotFoundError naming how to list them."""
        with self._reading(f"read autopilot action {action_id}") as connection:
            row = autopilot.select_action(connection, action_id)
        if row is None:
            raise NotFoundError(
                f"no autopilot action {action_id}: list them with `modelfleet actions list`"
            )
        return row

    def decide_autopilot_action(
        self,
        action_id: int,
        *,
        from_status: str,
        to_status: str,
        actor: str | None,
        at: datetime,
        reason: str | None = None,
    ) -> None:
        """Move an action between statuses; ConflictError if it is no longer ``from_status``."""
        with self._writing(f"update autopilot action {action_id}") as connection:
            moved = autopilot.decide_action(
                connection,
                action_id,
                from_status=from_status,
                to_status=to_status,
                actor=actor,
                at=at,
                reason=reason,
            )
        if not moved:
            current = self.autopilot_action(action_id)
            raise ConflictError(
                f"autopilot action {action_id} is {current.status}, not {from_status}"
            )

    def take_autopilot_lock(
        self, row: autopilot.LockRow, *, steal_from: str | None = None
    ) -> autopilot.LockRow | None:
        """Hold a fleet's autopilot lock: None when held now, else the other holder's row."""
        with self._writing(f"lock the autopilot of {row.fleet}@{row.environment}") as connection:
            return autopilot.take_lock(connection, row, steal_from=steal_from)

    def autopilot_lock(self, fleet: str, environment: str) -> autopilot.LockRow | None:
        """Who holds the lock now, if anyone (expired leases included)."""
        with self._reading("read the autopilot lock") as connection:
            return autopilot.select_lock(connection, fleet, environment)

    def release_autopilot_lock(self, fleet: str, environment: str, owner: str) -> None:
        """Let go of the lock if ``owner`` still holds it."""
        with self._writing(f"unlock the autopilot of {fleet}@{environment}") as connection:
            autopilot.release_lock(connection, fleet, environment, owner)
