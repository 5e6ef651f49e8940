"""Tables and JSON lines of ``modelfleet auth tokens`` and ``auth grants``."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from rich import box
from rich.markup import escape
from rich.table import Table

from modelfleet.cli.render import console

if TYPE_CHECKING:
    from modelfleet.store.auth import GrantRow, TokenRow


def token_json(row: TokenRow) -> dict[str, Any]:
    """A token's record without its hash."""
    body = asdict(row)
    body.pop("secret_hash")
    for key in ("created_at", "expires_at", "revoked_at"):
        body[key] = body[key].isoformat() if body[key] else None
    return body


def print_tokens(found: list[TokenRow]) -> None:
    """Tokens as a table."""
    if not found:
        console.print("no token (make one with `modelfleet auth token PRINCIPAL`)")
        return
    table = Table(box=box.SIMPLE_HEAD)
    for name in ("id", "principal", "kind", "created", "expires", "revoked", "note"):
        table.add_column(name)
    for t in found:
        table.add_row(
            t.id,
            escape(t.principal),
            t.kind,
            f"{t.created_at:%Y-%m-%d %H:%M}",
            f"{t.expires_at:%Y-%m-%d %H:%M}" if t.expires_at else "never",
            f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "-",
            escape(t.note),
        )
    console.print(table)


def grant_json(row: GrantRow) -> dict[str, Any]:
    """A grant as one JSON object."""
    return {**asdict(row), "granted_at": row.granted_at.isoformat()}


def print_grants(found: list[GrantRow]) -> None:
    """Grants as a table."""
    if not found:
        console.print("no grant (give one with `modelfleet auth grant PRINCIPAL ROLE`)")
        return
    table = Table(box=box.SIMPLE_HEAD)
    for name in ("principal", "role", "scope", "granted by", "when"):
        table.add_column(name)
    for g in found:
        table.add_row(
            escape(g.principal),
            g.role,
            escape(g.scope),
            escape(g.granted_by),
            f"{g.granted_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)
