"""Run-time routing settings as the server sees them: read per tenant, at most once a second.

A setting made with ``modelfleet traffic`` (from any process) replaces the spec's routing for
that tenant in that environment; the server re-reads it at most every ``ttl`` seconds, the same
staleness as an alias move, so a canary started or stopped takes effect within about a second.
"""

from __future__ import annotations

import threading
import time

from modelfleet.config.serving_blocks import RoutingSpec
from modelfleet.registry.traffic import traffic
from modelfleet.store import MetadataStore


class TrafficOverrides:
    """Per (model, environment): the run-time routing, or None where the spec's applies."""

    def __init__(self, store: MetadataStore, ttl: float) -> None:
        self._store, self._ttl = store, ttl
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], tuple[float, RoutingSpec | None]] = {}

    def routing(self, model: str, environment: str) -> RoutingSpec | None:
        """The run-time routing of ``model`` in ``environment`` (None: none is set)."""
        key = (model, environment)
        now = time.monotonic()
        with self._lock:
            hit = self._seen.get(key)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        setting = traffic(self._store, model, environment)
        found = None if setting is None else setting.routing
        with self._lock:
            self._seen[key] = (now, found)
        return found
