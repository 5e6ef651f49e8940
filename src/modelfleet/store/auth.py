"""Tokens and grants: who can authenticate, and which role each principal holds where.

Tokens keep only the hash of their secret (:mod:`modelfleet.governance.tokens`), with expiry
and revocation; grants are (principal, role, scope) rows. Written by ``modelfleet auth``, read
by the servers on every authenticated request (one indexed lookup for the token; the grants of
a principal are few).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import Column, Connection, Index, String, Table, delete, insert, select, update

from modelfleet.store.schema import UTCDateTime, metadata

tokens = Table(
    "auth_tokens",
    metadata,
    Column("id", String, primary_key=True),
    Column("principal", String, nullable=False),
    Column("kind", String, nullable=False),  # user | service
    Column("secret_hash", String, nullable=False),
    Column("note", String, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Index(None, "principal"),
)

grants = Table(
    "auth_grants",
    metadata,
    Column("principal", String, primary_key=True),
    Column("role", String, primary_key=True),
    Column("scope", String, primary_key=True),
    Column("granted_by", String, nullable=False),
    Column("granted_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class TokenRow:
    """A token's record (never its secret)."""

    id: str
    principal: str
    kind: str
    secret_hash: str
    note: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class GrantRow:
    """One role over one scope for one principal."""

    principal: str
    role: str
    scope: str
    granted_by: str
    granted_at: datetime


def insert_token(connection: Connection, row: TokenRow) -> None:
    """Record a new token."""
    connection.execute(insert(tokens).values(**asdict(row)))


def select_token(connection: Connection, token_id: str) -> TokenRow | None:
    """One token by id."""
    found = connection.execute(select(tokens).where(tokens.c.id == token_id)).first()
    return None if found is None else TokenRow(**found._mapping)


def select_tokens(connection: Connection, principal: str | None) -> list[TokenRow]:
    """Tokens, newest first (of one principal or all)."""
    statement = select(tokens).order_by(tokens.c.created_at.desc(), tokens.c.id)
    if principal is not None:
        statement = statement.where(tokens.c.principal == principal)
    return [TokenRow(**row._mapping) for row in connection.execute(statement)]


def revoke_token(connection: Connection, token_id: str, at: datetime) -> bool:
    """Revoke a token that is not revoked yet; whether one was."""
    result = connection.execute(
        update(tokens)
        .where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return bool(result.rowcount)


def insert_grant(connection: Connection, row: GrantRow) -> bool:
    """Add a grant; False when the principal already holds it."""
    key = (
        (grants.c.principal == row.principal)
        & (grants.c.role == row.role)
        & (grants.c.scope == row.scope)
    )
    if connection.execute(select(grants.c.role).where(key)).first() is not None:
        return False
    connection.execute(insert(grants).values(**asdict(row)))
    return True


def delete_grant(connection: Connection, principal: str, role: str, scope: str) -> bool:
    """Remove a grant; whether there was one."""
    result = connection.execute(
        delete(grants).where(
            grants.c.principal == principal, grants.c.role == role, grants.c.scope == scope
        )
    )
    return bool(result.rowcount)


def select_grants(connection: Connection, principals: Sequence[str] | None) -> list[GrantRow]:
    """Grants (of some principals, or all), by principal, role and scope."""
    statement = select(grants).order_by(grants.c.principal, grants.c.role, grants.c.scope)
    if principals is not None:
        statement = statement.where(grants.c.principal.in_(list(principals)))
    return [GrantRow(**row._mapping) for row in connection.execute(statement)]
