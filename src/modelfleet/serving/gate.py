"""Who may score on the prediction server: with auth on, a bearer token whose grants allow
``predict`` on the tenant (a tenant's own token reaches its own model only).

The check runs before anything about the tenant is looked up, so a refusal (401 or 403) is the
same whether the tenant has a model or not. A token's verdict is kept for a second (by the
SHA-256 of its text), so a busy client costs one store read a second, not one a request; a
revoked token stops within that second, as a revoked grant does in the policy.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Final

from modelfleet.caller import Caller
from modelfleet.errors import AuthenticationError
from modelfleet.governance.service import Authority, RolePolicy
from modelfleet.store import MetadataStore

TOKEN_CACHE_SECONDS: Final = 1.0
MAX_CACHED: Final = 10_000


class Gate:
    """Authenticates a request's token and asks the policy whether it may score a tenant."""

    def __init__(self, store: MetadataStore, cache_seconds: float = TOKEN_CACHE_SECONDS) -> None:
        self._authority = Authority(store)
        self._policy = RolePolicy(store)
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Caller]] = {}
        self._lock = threading.Lock()

    def admit(self, authorization: str | None, fleet: str, tenant: str) -> Caller:
        """The caller, if its token may ``predict`` on ``fleet/tenant``; 401/403 otherwise."""
        caller = self._caller(authorization or "")
        self._policy.check(caller, "predict", [f"{fleet}/{tenant}"])
        return caller

    def _caller(self, header: str) -> Caller:
        scheme, _, token = header.partition(" ")
        text = token.strip() if scheme.lower() == "bearer" else ""
        if not text:
            raise AuthenticationError(
                "this prediction server needs a token: send 'Authorization: Bearer <token>'"
            )
        key = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self._cache_seconds:
            return hit[1]
        caller = self._authority.authenticate(text)  # raises for a bad token: never cached
        with self._lock:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()  # a flood of distinct tokens cannot grow memory
            self._cache[key] = (now, caller)
        return caller
