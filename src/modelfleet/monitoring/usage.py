"""What each tenant costs and how it is served: ``modelfleet usage``.

Training, per tenant, from the run records: runs, CPU seconds (summed), peak memory (the largest
of its runs) and artifact bytes. Serving, per tenant, version and arm, from the prediction log
of a span: requests, predictions, throughput (requests a second over the span) and latency
percentiles (p50, p99), computed for all groups at once with Arrow's t-digest aggregation.
Refused (4xx) and failed (5xx) requests have no prediction; the server records each in the
store's ``request_errors``, and the report sets them against the answered requests per tenant
(its **error rate**: refused and failed over all requests of the span).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.store import MetadataStore
from modelfleet.store.usage import TrainingUsageRow

QUANTILES = (0.5, 0.99)


@dataclass(frozen=True)
class ServingUsageRow:
    """One (tenant, version, arm): requests, predictions, throughput and latency."""

    tenant: str
    version: str
    arm: str
    requests: int
    predictions: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class ErrorUsageRow:
    """One tenant's requests over the span: answered, refused (4xx), failed (5xx)."""

    tenant: str
    answered: int
    client_errors: int
    server_errors: int

    @property
    def error_rate(self) -> float:
        """Refused and failed requests over all requests (0.0 with no requests)."""
        total = self.answered + self.client_errors + self.server_errors
        return (self.client_errors + self.server_errors) / total if total else 0.0


@dataclass(frozen=True)
class UsageReport:
    """Training cost per tenant and serving figures per tenant, version and arm."""

    fleet: str
    environment: str
    since: datetime
    until: datetime
    training: tuple[TrainingUsageRow, ...]
    serving: tuple[ServingUsageRow, ...]
    errors: tuple[ErrorUsageRow, ...] = ()  # tenants with a refused or failed request


def usage_report(
    store: MetadataStore, fleet: str, environment: str, since: datetime, until: datetime
) -> UsageReport:
    """The fleet's training cost and its serving over ``[since, until)`` (module doc)."""
    training = tuple(sorted(store.training_usage(fleet), key=lambda r: r.tenant))
    requests = store.requests(fleet, environment, since, until)
    table = pa.table(
        {
            "tenant": pa.array(requests.tenant, pa.string()),
            "version": pa.array(requests.version, pa.string()),
            "arm": pa.array(requests.arm, pa.string()),
            "rows": pa.array(requests.rows, pa.int64()),
            "latency": pa.array(requests.latency_ms, pa.float64()),
        }
    )
    seconds = max((until - since).total_seconds(), 1e-9)
    groups = table.group_by(["tenant", "version", "arm"]).aggregate(
        [
            ("rows", "count"),
            ("rows", "sum"),
            ("latency", "tdigest", pc.TDigestOptions(q=list(QUANTILES))),
        ]
    )
    digests = groups["latency_tdigest"].to_pylist()
    counts = groups["rows_count"].to_numpy()
    serving = tuple(
        ServingUsageRow(
            tenant=tenant,
            version=version,
            arm=arm,
            requests=int(counts[i]),
            predictions=int(total),
            requests_per_second=float(counts[i] / seconds),
            p50_ms=float(digests[i][0]) if digests[i] else float(np.nan),
            p99_ms=float(digests[i][1]) if digests[i] else float(np.nan),
        )
        for i, (tenant, version, arm, total) in enumerate(
            zip(
                groups["tenant"].to_pylist(),
                groups["version"].to_pylist(),
                groups["arm"].to_pylist(),
                groups["rows_sum"].to_pylist(),
                strict=True,
            )
        )
    )
    serving = tuple(sorted(serving, key=lambda r: (r.tenant, r.version, r.arm)))
    # Answered requests per tenant: the champion's and challenger's (a shadow answers nobody).
    answered: dict[str, int] = {}
    for row in serving:
        if row.arm != "shadow":
            answered[row.tenant] = answered.get(row.tenant, 0) + row.requests
    errors = tuple(
        ErrorUsageRow(e.tenant, answered.get(e.tenant, 0), e.client_errors, e.server_errors)
        for e in store.request_error_counts(fleet, environment, since, until)
    )
    return UsageReport(fleet, environment, since, until, training, serving, errors)
