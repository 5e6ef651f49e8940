"""Loaded models by version, least recently used first out, bounded by count and by bytes.

A server for a fleet of thousands cannot hold every model, and must not load one per request.
:class:`ModelCache` keeps packages keyed by version (a version's bytes never change, so an entry
never goes stale); when it holds more than ``max_models`` packages or more than ``max_bytes``
of model artifacts (the bytes read to load it: a fair proxy of the memory a tree model takes),
it drops the least recently used. Loads of different versions run in parallel; two requests
for the same cold version load it once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from modelfleet.training.package import ModelPackage


@dataclass(frozen=True)
class Loaded:
    """A package and what it cost to load."""

    package: ModelPackage
    size_bytes: int


@dataclass(frozen=True)
class CacheStats:
    """What the cache holds and has done since it started."""

    models: int
    size_bytes: int
    hits: int
    loads: int
    evictions: int
    max_models: int
    max_bytes: int


class ModelCache:
    """Packages by key (``fleet/tenant:version``), LRU-bounded by count and bytes."""

    def __init__(self, max_models: int, max_bytes: int) -> None:
        if max_models < 1 or max_bytes < 1:
            raise ValueError("a model cache holds at least one model and one byte")
        self.max_models, self.max_bytes = max_models, max_bytes
        self._entries: OrderedDict[str, Loaded] = OrderedDict()
        self._loading: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._bytes = self._hits = self._loads = self._evictions = 0

    def holds(self, key: str) -> bool:
        """Whether ``key``'s package is loaded (no hit is counted, its place is not moved)."""
        with self._lock:
            return key in self._entries

    def get(self, key: str, load: Callable[[], Loaded]) -> ModelPackage:
        """The package of ``key``, loaded with ``load`` on first use."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self._hits += 1
                return entry.package
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:  # one load per key; other keys load meanwhile
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None:
                    self._hits += 1
                    return entry.package
            try:
                entry = load()
            finally:
                with self._lock:
                    self._loading.pop(key, None)
            with self._lock:
                self._loads += 1
                self._entries[key] = entry
                self._bytes += entry.size_bytes
                self._evict()
            return entry.package

    def _evict(self) -> None:
        """Drop least recently used entries past either bound (never the newest one)."""
        while len(self._entries) > 1 and (
            len(self._entries) > self.max_models or self._bytes > self.max_bytes
        ):
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= dropped.size_bytes
            self._evictions += 1

    def stats(self) -> CacheStats:
        """Counts and bounds, for /readyz and /metrics."""
        with self._lock:
            return CacheStats(
                models=len(self._entries),
                size_bytes=self._bytes,
                hits=self._hits,
                loads=self._loads,
                evictions=self._evictions,
                max_models=self.max_models,
                max_bytes=self.max_bytes,
            )
