"""Authentication and authorization over the metadata store: tokens in, a Caller and a policy out.

:class:`Authority` makes, lists and revokes tokens and grants (``modelfleet auth``) and turns a
token's text into the :class:`~modelfleet.caller.Caller` a server acts as. :class:`RolePolicy`
is the one place permissions are decided (it is the registry's ``Policy`` and what every
route and client verb asks): a caller may do an action on models when its grants allow it
(:mod:`.roles`). A principal's grants are cached for a second, so a check is a dictionary
lookup and a few comparisons, and a revoked grant stops working within that second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from modelfleet.caller import Caller
from modelfleet.errors import AuthenticationError, NotFoundError, PermissionDeniedError, UsageError
from modelfleet.governance.roles import ROLE_ACTIONS, Grant, allowed
from modelfleet.governance.tokens import new_token, parse_token, secret_matches
from modelfleet.store import MetadataStore
from modelfleet.store.auth import GrantRow, TokenRow
from modelfleet.tenant_ids import is_tenant_id

GRANT_CACHE_SECONDS: Final = 1.0
PrincipalKind = Literal["user", "service"]


def check_principal(name: str) -> str:
    """``name`` if it can name a user or service account (the tenant-id rule), else UsageError."""
    if not isinstance(name, str) or not is_tenant_id(name):
        raise UsageError(
            f"principal {str(name)[:60]!r}: use 1-200 ASCII letters, digits, '.', '_' or '-'"
        )
    return name


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: its text (shown once, never stored) and its record."""

    text: str
    record: TokenRow


class Authority:
    """Tokens and grants of one metadata store."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store

    def create_token(
        self,
        principal: str,
        *,
        kind: PrincipalKind = "user",
        expires_in: timedelta | None = None,
        note: str = "",
        by: str,
        now: datetime | None = None,
    ) -> IssuedToken:
        """A new token for ``principal``; its text is in the answer only."""
        if kind not in ("user", "service"):
            raise UsageError(f"kind {kind!r}: use user or service")
        if expires_in is not None and expires_in <= timedelta(0):
            raise UsageError("a token's lifetime must be longer than zero, e.g. 90d")
        at = now or datetime.now(UTC)
        made = new_token()
        row = TokenRow(
            id=made.token_id,
            principal=check_principal(principal),
            kind=kind,
            secret_hash=made.secret_hash,
            note=note[:200],
            created_at=at,
            created_by=by,
            expires_at=None if expires_in is None else at + expires_in,
            revoked_at=None,
        )
        self.store.add_token(row)
        return IssuedToken(made.text, row)

    def revoke_token(self, token_id: str, *, now: datetime | None = None) -> None:
        """Revoke a token; NotFoundError when there is no live token with that id."""
        if not self.store.revoke_token(token_id, now or datetime.now(UTC)):
            raise NotFoundError(
                f"no live token {token_id[:20]!r}: list them with `modelfleet auth tokens`"
            )

    def authenticate(self, text: str | None, *, now: datetime | None = None) -> Caller:
        """The caller a token's text proves; AuthenticationError saying why when it proves none.

        The secret is checked before the token's state, so only its holder learns that a token
        is expired or revoked; anyone else hears that it is unknown.
        """
        if not text:
            raise AuthenticationError(
                "this server needs a token: send 'Authorization: Bearer <token>' (make one "
                "with `modelfleet auth token PRINCIPAL`)"
            )
        try:
            token_id, secret = parse_token(text)
        except UsageError as exc:
            raise AuthenticationError(str(exc)) from None
        row = self.store.token(token_id)
        if row is None or not secret_matches(secret, row.secret_hash):
            raise AuthenticationError("unknown token: it was never issued here")
        at = now or datetime.now(UTC)
        if row.revoked_at is not None:
            raise AuthenticationError(
                f"token {row.id} was revoked at {row.revoked_at.isoformat(timespec='seconds')}"
            )
        if row.expires_at is not None and row.expires_at <= at:
            raise AuthenticationError(
                f"token {row.id} expired at {row.expires_at.isoformat(timespec='seconds')}; "
                "ask for a new one"
            )
        return Caller(row.principal, roles=(), via="http")

    def grant(self, principal: str, role: str, scope: str, *, by: str) -> bool:
        """Give ``principal`` ``role`` over ``scope``; False when it holds it already."""
        parsed = Grant(role, scope)
        row = GrantRow(check_principal(principal), parsed.role, parsed.scope, by, datetime.now(UTC))
        return self.store.add_grant(row)

    def revoke(self, principal: str, role: str, scope: str) -> None:
        """Take a grant back; NotFoundError when it was not held."""
        if not self.store.remove_grant(principal, role, scope):
            raise NotFoundError(
                f"{principal!r} holds no {role!r} grant on {scope!r}: list them with "
                "`modelfleet auth grants`"
            )


class RolePolicy:
    """Permissions from grants in the store: the one place an action is allowed or refused."""

    def __init__(self, store: MetadataStore, cache_seconds: float = GRANT_CACHE_SECONDS) -> None:
        self._store = store
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, tuple[Grant, ...]]] = {}
        self._lock = threading.Lock()

    def grants_of(self, principal: str) -> tuple[Grant, ...]:
        """The principal's grants (cached for a second)."""
        clock = time.monotonic()
        with self._lock:
            hit = self._cache.get(principal)
        if hit is not None and clock - hit[0] < self._cache_seconds:
            return hit[1]
        found = tuple(Grant(g.role, g.scope) for g in self._store.grants([principal]))
        with self._lock:
            self._cache[principal] = (clock, found)
        return found

    def allows(self, caller: Caller, action: str, models: Collection[str]) -> bool:
        """Whether ``caller`` may do ``action`` on every one of ``models``."""
        return allowed(self.grants_of(caller.principal), action, models)

    def check(self, caller: Caller, action: str, models: Collection[str]) -> None:
        """Return if allowed; PermissionDeniedError naming who, what and the roles it takes."""
        if self.allows(caller, action, models):
            return
        roles = [r for r, actions in ROLE_ACTIONS.items() if action in actions]
        where = ", ".join(sorted(models)[:3]) + (" ..." if len(models) > 3 else "")
        raise PermissionDeniedError(
            f"{caller.principal} may not {action.replace('_', ' ')} {where}: that takes "
            f"{' or '.join(roles)} on it, its fleet or everything (`modelfleet auth grant`)"
        )
