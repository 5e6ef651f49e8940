"""The rows that cross the store's border: plain frozen dataclasses, one per table.

The store speaks in these and nothing else, so callers never see SQLAlchemy rows or dicts.
Values are already in their stored form (a param's value is text plus a type tag, a finding's
examples are JSON text); turning them into domain values is the caller's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

FLEET_RUN_STATUSES: Final = frozenset({"running", "succeeded", "partial", "failed", "interrupted"})
RUN_STATUSES: Final = frozenset({"succeeded", "rejected", "failed"})
COMPLETED_RUN_STATUSES: Final = frozenset({"succeeded", "rejected"})
METRIC_SCOPES: Final = frozenset({"candidate", "baseline", "timing", "resource"})
PARAM_TYPES: Final = frozenset({"str", "int", "float", "bool", "none"})
SEVERITIES: Final = frozenset({"error", "warning"})


def _check_choice(field: str, value: str, allowed: frozenset[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{field}={value!r} is not one of {', '.join(sorted(allowed))}")


@dataclass(frozen=True)
class FleetRunRow:
    """One ``modelfleet train`` invocation and how its tenants ended."""

    id: str
    fleet: str
    environment: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    config_hash: str
    succeeded: int = 0
    rejected: int = 0
    failed: int = 0
    skipped: int = 0
    actor: str = "unknown"
    trigger: str = "manual"
    owner_host: str | None = None
    owner_pid: int | None = None
    heartbeat_at: datetime | None = None
    planned: int | None = None

    def __post_init__(self) -> None:
        _check_choice("fleet run status", self.status, FLEET_RUN_STATUSES)


@dataclass(frozen=True)
class RunRow:
    """One tenant's run inside a fleet run (the ``runs`` table)."""

    id: str
    fleet_run_id: str
    fleet: str
    tenant: str
    environment: str
    status: str
    task_key: str
    config_hash: str
    data_fingerprint: str | None
    model_family: str
    code_version: str | None
    reason: str | None
    started_at: datetime
    finished_at: datetime
    duration_seconds: float
    signature: str | None = None  # canonical JSON of the model's signature

    def __post_init__(self) -> None:
        _check_choice("run status", self.status, RUN_STATUSES)


@dataclass(frozen=True)
class ParamRow:
    """A parameter as stored: text plus the name of the Python type it came from."""

    key: str
    value: str | None
    value_type: str

    def __post_init__(self) -> None:
        _check_choice("param type", self.value_type, PARAM_TYPES)


@dataclass(frozen=True)
class MetricRow:
    """A metric value; ``scope`` says whose it is and ``step`` orders a series."""

    key: str
    value: float
    scope: str = "candidate"
    step: int = 0

    def __post_init__(self) -> None:
        _check_choice("metric scope", self.scope, METRIC_SCOPES)


@dataclass(frozen=True)
class ArtifactRow:
    """A file a run produced, by content address."""

    name: str
    kind: str
    digest: str
    uri: str
    size_bytes: int


@dataclass(frozen=True)
class LineageRow:
    """One fact about where a run came from (code version, a package version, ...)."""

    key: str
    value: str


@dataclass(frozen=True)
class FindingRow:
    """A data validation finding; ``examples`` is JSON text."""

    check: str
    severity: str
    column: str | None
    count: int
    message: str
    examples: str = "[]"

    def __post_init__(self) -> None:
        _check_choice("finding severity", self.severity, SEVERITIES)


@dataclass(frozen=True)
class TrialRow:
    """One tuning trial; ``params`` is JSON text."""

    number: int
    value: float
    state: str
    params: str


@dataclass(frozen=True)
class RunBundle:
    """A tenant run with everything recorded about it; written and read as one unit.

    Read back, params and lineage come in key order, metrics by (scope, key, step), trials by
    number, and artifacts and findings in the order they were recorded.
    """

    run: RunRow
    params: tuple[ParamRow, ...] = ()
    metrics: tuple[MetricRow, ...] = ()
    artifacts: tuple[ArtifactRow, ...] = ()
    lineage: tuple[LineageRow, ...] = ()
    findings: tuple[FindingRow, ...] = ()
    trials: tuple[TrialRow, ...] = ()


@dataclass(frozen=True)
class TenantRow:
    """A tenant the store has seen runs for."""

    fleet: str
    tenant: str
    first_seen_at: datetime
    last_run_at: datetime


@dataclass(frozen=True)
class RunQuery:
    """Filters for listing tenant runs; ``None`` means any. Results come newest first."""

    fleet: str | None = None
    tenant: str | None = None
    status: str | None = None
    environment: str | None = None
    fleet_run_id: str | None = None
    limit: int | None = 100

    def __post_init__(self) -> None:
        if self.status is not None:
            _check_choice("run status", self.status, RUN_STATUSES)
        if self.limit is not None and self.limit < 0:
            raise ValueError(f"limit={self.limit} must be zero or more (or None for all)")
