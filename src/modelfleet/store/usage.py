"""What each tenant has cost: training runs and their resources, artifact bytes, and requests.

Three grouped SQL queries, whatever the fleet's size: resources per tenant from the run
records (``cpu_seconds`` and ``peak_rss_mb`` are metrics of scope ``resource``, written by the
runner), artifact bytes per tenant, and one row per answered request of a span (the log's
first row of each request) for latency and volume.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, case, func, select

from modelfleet.store.predictions import predictions
from modelfleet.store.schema import artifacts, metrics, runs


@dataclass(frozen=True)
class TrainingUsageRow:
    """One tenant's training: runs, total CPU seconds, largest peak memory, artifact bytes."""

    tenant: str
    runs: int
    cpu_seconds: float | None
    peak_rss_mb: float | None
    artifact_bytes: int
    last_started_at: datetime | None


@dataclass(frozen=True, eq=False)
class RequestColumns:
    """One entry per answered request of a span, as columns: who answered, how many rows,
    how long it took."""

    tenant: list[str]
    version: list[str]
    arm: list[str]
    rows: list[int]
    latency_ms: list[float]

    def __len__(self) -> int:
        return len(self.tenant)


def select_training_usage(connection: Connection, fleet: str) -> list[TrainingUsageRow]:
    """Per tenant of ``fleet``: its runs and what they cost."""
    cpu = func.sum(case((metrics.c.key == "cpu_seconds", metrics.c.value)))
    peak = func.max(case((metrics.c.key == "peak_rss_mb", metrics.c.value)))
    resources = (
        select(
            runs.c.tenant,
            func.count(func.distinct(runs.c.id)).label("runs"),
            cpu.label("cpu"),
            peak.label("peak"),
            func.max(runs.c.started_at).label("last"),
        )
        .join_from(
            runs,
            metrics,
            (metrics.c.run_id == runs.c.id) & (metrics.c.scope == "resource"),
            isouter=True,
        )
        .where(runs.c.fleet == fleet)
        .group_by(runs.c.tenant)
    )
    sizes = (
        select(runs.c.tenant, func.sum(artifacts.c.size_bytes).label("bytes"))
        .join_from(runs, artifacts, artifacts.c.run_id == runs.c.id)
        .where(runs.c.fleet == fleet)
        .group_by(runs.c.tenant)
    )
    stored = {row.tenant: int(row.bytes or 0) for row in connection.execute(sizes)}
    return [
        TrainingUsageRow(
            tenant=row.tenant,
            runs=int(row.runs),
            cpu_seconds=None if row.cpu is None else float(row.cpu),
            peak_rss_mb=None if row.peak is None else float(row.peak),
            artifact_bytes=stored.get(row.tenant, 0),
            last_started_at=row.last,
        )
        for row in connection.execute(resources)
    ]


def select_requests(
    connection: Connection, fleet: str, environment: str, since: datetime, until: datetime
) -> RequestColumns:
    """Every request answered for ``fleet`` in ``environment`` and logged in ``[since, until)``:
    its tenant, version, arm, rows and latency (one entry per request and arm)."""
    p = predictions.c
    statement = (
        select(p.tenant, p.version, p.arm, func.count().label("rows"), func.max(p.latency_ms))
        .where(
            p.fleet == fleet,
            p.environment == environment,
            p.logged_at >= since,
            p.logged_at < until,
        )
        .group_by(p.request_id, p.tenant, p.version, p.arm)
    )
    found = connection.execute(statement).all()
    if not found:
        return RequestColumns([], [], [], [], [])
    tenant, version, arm, count, latency = (list(c) for c in zip(*found, strict=True))
    return RequestColumns(tenant, version, arm, [int(n) for n in count], latency)
