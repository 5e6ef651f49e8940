"""Prometheus metrics of the prediction server, in a registry of its own (one per app).

Requests, errors and latency by fleet, tenant, version and arm; the model cache's and the
prediction log's counts read at scrape time (a collector, so the request path updates none).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from modelfleet.scoring.cache import CacheStats
from modelfleet.scoring.log import LogStats

# Latency buckets for in-process model calls: sub-millisecond to a few seconds.
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class _CacheCollector(Collector):
    def __init__(self, stats: Callable[[], CacheStats], log: Callable[[], LogStats]) -> None:
        self._stats, self._log = stats, log

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        logged = self._log()
        yield GaugeMetricFamily(
            "modelfleet_log_queue", "answered requests waiting to be logged", value=logged.queued
        )
        for name, value, text in (
            ("written", logged.written, "prediction rows written to the log"),
            ("dropped", logged.dropped, "prediction rows not logged: the log queue was full"),
            ("failed", logged.failed, "prediction rows not logged: the store refused them"),
        ):
            yield CounterMetricFamily(f"modelfleet_log_{name}_rows", text, value=value)
        stats = self._stats()
        yield GaugeMetricFamily("modelfleet_cache_models", "models loaded", value=stats.models)
        yield GaugeMetricFamily(
            "modelfleet_cache_bytes", "model artifact bytes loaded", value=stats.size_bytes
        )
        for name, value in (
            ("hits", stats.hits),
            ("loads", stats.loads),
            ("evictions", stats.evictions),
        ):
            yield CounterMetricFamily(f"modelfleet_cache_{name}", f"cache {name}", value=value)


class ServerMetrics:
    """The server's metrics and the registry /metrics renders."""

    def __init__(
        self, cache_stats: Callable[[], CacheStats], log_stats: Callable[[], LogStats]
    ) -> None:
        self.registry = CollectorRegistry()
        labels = ("fleet", "tenant", "version", "arm")
        self.predictions = Counter(
            "modelfleet_predictions",
            "records scored",
            labels,
            registry=self.registry,
        )
        self.requests = Counter(
            "modelfleet_requests",
            "prediction requests answered, by status class",
            ("fleet", "tenant", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "modelfleet_request_seconds",
            "time to answer a prediction request",
            labels,
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "modelfleet_routing_fallbacks",
            "requests the champion answered because the challenger could not (or shadows lost)",
            ("fleet", "tenant"),
            registry=self.registry,
        )
        self.registry.register(_CacheCollector(cache_stats, log_stats))
