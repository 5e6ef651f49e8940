"""What each tenant costs and how it is served: ``modelfleet usage``.

Training, per tenant, from the run records: runs, CPU seconds (summed), peak memory (the largest
of its runs) and artifact bytes. Serving, per tenant, version and arm, from the prediction log
of a span: requests, predictions, throughput (requests a second over the span) and latency
percentiles (p50, p99), computed for all groups at once with Arrow's t-digest aggregation.
Failed requests are not in the prediction log, so the error rate is the server's ``/metrics``
(``modelfleet_requests_total`` by status class), not part of this report.
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
class UsageReport:
    """Training cost per tenant and serving figures per tenant, version and arm."""

    fleet: str
    environment: str
    since: datetime
    until: datetime
    training: tuple[TrainingUsageRow, ...]
    serving: tuple[ServingUsageRow, ...]


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
    return UsageReport(fleet, environment, since, until, training, serving)
