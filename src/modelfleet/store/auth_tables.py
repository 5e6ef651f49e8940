"""The metadata store's part for authentication: tokens and grants (a part of
:class:`~modelfleet.store.metadata_store.MetadataStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy import Connection

from modelfleet.store import auth


class AuthTables:
    """Reads and writes of tokens and grants."""

    def _reading(self, action: str) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # the store's own

    def _writing(self, action: str) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # the store's own

    def add_token(self, row: auth.TokenRow) -> None:
        """Record a new token (its secret's hash only)."""
        with self._writing(f"record a token of {row.principal}") as connection:
            auth.insert_token(connection, row)

    def token(self, token_id: str) -> auth.TokenRow | None:
        """One token by id, or None."""
        with self._reading("read a token") as connection:
            return auth.select_token(connection, token_id)

    def tokens(self, principal: str | None = None) -> list[auth.TokenRow]:
        """Tokens, newest first (of one principal or all)."""
        with self._reading("read tokens") as connection:
            return auth.select_tokens(connection, principal)

    def revoke_token(self, token_id: str, at: datetime) -> bool:
        """Revoke a live token; whether one was."""
        with self._writing(f"revoke token {token_id}") as connection:
            return auth.revoke_token(connection, token_id, at)

    def add_grant(self, row: auth.GrantRow) -> bool:
        """Add a grant; False when it is held already."""
        with self._writing(f"grant {row.role} on {row.scope} to {row.principal}") as connection:
            return auth.insert_grant(connection, row)

    def remove_grant(self, principal: str, role: str, scope: str) -> bool:
        """Remove a grant; whether there was one."""
        with self._writing(f"revoke {role} on {scope} from {principal}") as connection:
            return auth.delete_grant(connection, principal, role, scope)

    def grants(self, principals: Sequence[str] | None = None) -> list[auth.GrantRow]:
        """Grants of some principals, or all."""
        with self._reading("read grants") as connection:
            return auth.select_grants(connection, principals)
