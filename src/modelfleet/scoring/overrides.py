"""Run-time routing settings as the server sees them: read per tenant, at most once a second.

A setting made with ``modelfleet traffic`` (from any process) replaces the spec's routing for
that tenant in that environment. Each change is a registry event, so the server re-reads a
tenant's setting only after the registry's generation moved (:mod:`.watch`): within about a
second of the change, and never once per request.
"""

from __future__ import annotations

import threading

from modelfleet.config.serving_blocks import RoutingSpec
from modelfleet.registry.traffic import traffic
from modelfleet.scoring.watch import RegistryWatch
from modelfleet.store import MetadataStore


class TrafficOverrides:
    """Per (model, environment): the run-time routing, or None where the spec's applies."""

    def __init__(self, store: MetadataStore, watch: RegistryWatch) -> None:
        self._store, self._watch = store, watch
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], tuple[int, RoutingSpec | None]] = {}

    def peek(self, model: str, environment: str) -> tuple[bool, RoutingSpec | None]:
        """``(known, routing)`` from what was read in this generation, without a query."""
        generation = self._watch.peek()
        with self._lock:
            hit = self._seen.get((model, environment))
        if generation is None or hit is None or hit[0] != generation:
            return False, None
        return True, hit[1]

    def routing(self, model: str, environment: str) -> RoutingSpec | None:
        """The run-time routing of ``model`` in ``environment`` (None: none is set)."""
        key = (model, environment)
        generation = self._watch.generation()
        with self._lock:
            hit = self._seen.get(key)
        if hit is not None and hit[0] == generation:
            return hit[1]
        setting = traffic(self._store, model, environment)
        found = None if setting is None else setting.routing
        with self._lock:
            self._seen[key] = (generation, found)
        return found
