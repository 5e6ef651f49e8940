"""The autopilot's memory: every action it took or proposes, and one lock per fleet and
environment so two autopilots never act on the same fleet at once.

An action row is written for each step (retrain, promote, rollout, conclude, stop, rollback)
with its reason and figures; a step that needs approval is written ``pending`` and acted on by a
later pass once a person approves it. The lock is a lease: a holder that died leaves it until
it expires, or until a pass on the same host sees that the holder's process is gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from modelfleet.store.schema import UTCDateTime, metadata

autopilot_actions = Table(
    "autopilot_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("pass_id", String, nullable=False),
    Column("fleet", String, nullable=False),
    Column("environment", String, nullable=False),
    Column("tenant", String, nullable=False),
    Column("kind", String, nullable=False),  # retrain | promote | rollout | conclude | stop ...
    Column("version", String, nullable=True),  # the version acted on (candidate or live)
    Column("status", String, nullable=False),  # done | failed | pending | approved | rejected ...
    Column("reason", Text, nullable=False),
    Column("figures", Text, nullable=False),  # JSON object
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String, nullable=False),
    Column("decided_by", String, nullable=True),  # who approved or rejected it
    Column("decided_at", UTCDateTime, nullable=True),
    Index(None, "fleet", "environment", "tenant"),
    Index(None, "status"),
)

autopilot_locks = Table(
    "autopilot_locks",
    metadata,
    Column("fleet", String, primary_key=True),
    Column("environment", String, primary_key=True),
    Column("owner", String, nullable=False),  # host:pid:token
    Column("acquired_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class ActionRow:
    """One autopilot action as stored."""

    id: int
    pass_id: str
    fleet: str
    environment: str
    tenant: str
    kind: str
    version: str | None
    status: str
    reason: str
    figures: str
    at: datetime
    actor: str
    decided_by: str | None
    decided_at: datetime | None


@dataclass(frozen=True)
class NewActionRow:
    """An action to record."""

    pass_id: str
    fleet: str
    environment: str
    tenant: str
    kind: str
    version: str | None
    status: str
    reason: str
    figures: str
    at: datetime
    actor: str


@dataclass(frozen=True)
class LockRow:
    """Who holds a fleet's autopilot lock in one environment, since and until when."""

    fleet: str
    environment: str
    owner: str
    acquired_at: datetime
    expires_at: datetime


def insert_actions(connection: Connection, rows: Sequence[NewActionRow]) -> None:
    """Record actions (one executemany)."""
    if rows:
        connection.execute(insert(autopilot_actions), [row.__dict__ for row in rows])


def select_actions(
    connection: Connection,
    fleet: str | None,
    environment: str | None,
    status: str | None,
    limit: int | None,
    pass_id: str | None = None,
    since: datetime | None = None,
) -> list[ActionRow]:
    """Actions, newest first, filtered by fleet, environment, status, pass and time (None:
    any)."""
    statement = select(autopilot_actions).order_by(autopilot_actions.c.id.desc())
    if since is not None:
        statement = statement.where(autopilot_actions.c.at >= since)
    if pass_id is not None:
        statement = statement.where(autopilot_actions.c.pass_id == pass_id)
    if fleet is not None:
        statement = statement.where(autopilot_actions.c.fleet == fleet)
    if environment is not None:
        statement = statement.where(autopilot_actions.c.environment == environment)
    if status is not None:
        statement = statement.where(autopilot_actions.c.status == status)
    if limit is not None:
        statement = statement.limit(limit)
    return [ActionRow(**row._mapping) for row in connection.execute(statement)]


def select_action(connection: Connection, action_id: int) -> ActionRow | None:
    """One action by id."""
    row = connection.execute(
        select(autopilot_actions).where(autopilot_actions.c.id == action_id)
    ).first()
    return None if row is None else ActionRow(**row._mapping)


def decide_action(
    connection: Connection,
    action_id: int,
    *,
    from_status: str,
    to_status: str,
    actor: str | None,
    at: datetime,
    reason: str | None = None,
) -> bool:
    """Move an action from ``from_status`` to ``to_status``; False when it was not there."""
    values: dict[str, object] = {"status": to_status}
    if actor is not None:
        values.update(decided_by=actor, decided_at=at)
    if reason is not None:
        values["reason"] = reason
    result = connection.execute(
        update(autopilot_actions)
        .where(autopilot_actions.c.id == action_id, autopilot_actions.c.status == from_status)
        .values(**values)
    )
    return bool(result.rowcount)


def take_lock(connection: Connection, row: LockRow, *, steal_from: str | None) -> LockRow | None:
    """Hold the lock described by ``row``: None when taken, else the current holder's row.

    An expired lease, or one held by ``steal_from`` (a holder known to be dead), is taken over.
    """
    table = autopilot_locks
    key = (table.c.fleet == row.fleet) & (table.c.environment == row.environment)
    held = connection.execute(select(table).where(key)).first()
    if held is None:
        try:
            with connection.begin_nested():
                connection.execute(insert(table).values(**row.__dict__))
            return None
        except IntegrityError:  # another pass inserted it between our read and write
            held = connection.execute(select(table).where(key)).first()
            assert held is not None
    current = LockRow(**held._mapping)
    if current.expires_at > row.acquired_at and current.owner != steal_from:
        return current
    taken = connection.execute(
        update(table)
        .where(key, table.c.owner == current.owner)
        .values(owner=row.owner, acquired_at=row.acquired_at, expires_at=row.expires_at)
    )
    return None if taken.rowcount else current


def release_lock(connection: Connection, fleet: str, environment: str, owner: str) -> None:
    """Let go of the lock if ``owner`` still holds it."""
    table = autopilot_locks
    connection.execute(
        delete(table).where(
            table.c.fleet == fleet, table.c.environment == environment, table.c.owner == owner
        )
    )


def select_lock(connection: Connection, fleet: str, environment: str) -> LockRow | None:
    """The lock's row, if one is held (expired or not)."""
    table = autopilot_locks
    row = connection.execute(
        select(table).where(table.c.fleet == fleet, table.c.environment == environment)
    ).first()
    return None if row is None else LockRow(**row._mapping)
