"""When to re-read the registry: one cheap check a second for the whole fleet, not per tenant.

Serving caches each tenant's alias and traffic setting. Re-reading them per tenant every second
costs a query per request once a fleet has as many tenants as requests a second. Instead
:class:`RegistryWatch` reads the registry's generation (its newest event id) at most every
``ttl`` seconds; cached entries stay valid while it is unchanged, and every alias move, status
change or traffic change writes an event, so a change is still seen within ``ttl``.
"""

from __future__ import annotations

import threading
import time

from modelfleet.store import MetadataStore


class RegistryWatch:
    """The registry's generation, re-read at most every ``ttl`` seconds."""

    def __init__(self, store: MetadataStore, ttl: float) -> None:
        self._store, self._ttl = store, ttl
        self._lock = threading.Lock()
        self._checked = -float("inf")
        self._generation = -1

    def peek(self) -> int | None:
        """The generation if it was read within ``ttl`` seconds, else None (no query)."""
        with self._lock:
            fresh = time.monotonic() - self._checked < self._ttl
            return self._generation if fresh else None

    def generation(self) -> int:
        """The registry's generation as of at most ``ttl`` seconds ago."""
        now = time.monotonic()
        with self._lock:
            if now - self._checked < self._ttl:
                return self._generation
            self._checked = now  # one reader refreshes; the others use the value they find
        found = self._store.registry_generation()
        with self._lock:
            self._generation = found
        return found
