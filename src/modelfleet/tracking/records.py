"""What tracking records: one tenant run, one fleet run, and the pieces a run carries.

These frozen dataclasses are the public shape of tracking data for the pipeline, the CLI and
users. Constructors normalise their inputs (sequences become tuples, mappings become dicts,
numbers become floats) so a record read back from the store compares equal to the one written.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeAlias

from modelfleet.tracking.signature import Signature

RunStatus: TypeAlias = Literal["succeeded", "rejected", "failed"]
FleetRunStatus: TypeAlias = Literal["running", "succeeded", "partial", "failed", "interrupted"]
# Why a fleet run started: a person or script, a schedule, or a monitoring signal.
RunTrigger: TypeAlias = Literal["manual", "schedule", "drift", "performance", "api"]
RUN_TRIGGERS: tuple[RunTrigger, ...] = ("manual", "schedule", "drift", "performance", "api")
Severity: TypeAlias = Literal["error", "warning"]
ParamValue: TypeAlias = str | int | float | bool | None

RUN_STATUSES: tuple[RunStatus, ...] = ("succeeded", "rejected", "failed")
FLEET_RUN_STATUSES: tuple[FleetRunStatus, ...] = (
    "running",
    "succeeded",
    "partial",
    "failed",
    "interrupted",
)


def new_run_id() -> str:
    """A fresh run id: 32 hex characters (uuid4), unique without asking the store."""
    return uuid.uuid4().hex


def _require_aware(name: str, value: datetime | None) -> None:
    # A naive time is ambiguous across machines and would sort wrongly against UTC ones.
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name}={value.isoformat()} is naive: pass a timezone-aware datetime")


def _set(record: object, name: str, value: object) -> None:
    object.__setattr__(record, name, value)  # normalising a frozen dataclass in __post_init__


@dataclass(frozen=True)
class ArtifactRecord:
    """A file a run produced, addressed by the sha256 of its bytes."""

    name: str
    kind: str
    digest: str
    uri: str
    size_bytes: int


@dataclass(frozen=True)
class FindingRecord:
    """One data validation finding for a tenant's data."""

    check: str
    severity: Severity
    column: str | None
    count: int
    message: str
    examples: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _set(self, "examples", tuple(self.examples))


@dataclass(frozen=True)
class TrialRecord:
    """One hyperparameter tuning trial: its number, objective value, params and final state."""

    number: int
    value: float
    params: Mapping[str, ParamValue]
    state: str

    def __post_init__(self) -> None:
        _set(self, "value", float(self.value))
        _set(self, "params", dict(self.params))


@dataclass(frozen=True)
class TenantRunRecord:
    """Everything recorded about one tenant's run within a fleet run."""

    run_id: str
    fleet_run_id: str
    fleet: str
    tenant: str
    environment: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime
    task_key: str
    config_hash: str
    data_fingerprint: str | None
    model_family: str
    code_version: str | None
    params: Mapping[str, ParamValue]  # flat: "model.num_leaves" -> 31
    metrics: Mapping[str, float]  # candidate holdout metrics
    baseline_metrics: Mapping[str, float]
    timings: Mapping[str, float]  # seconds per stage
    artifacts: Sequence[ArtifactRecord] = ()
    lineage: Mapping[str, str] = field(default_factory=dict)
    trials: Sequence[TrialRecord] = ()
    findings: Sequence[FindingRecord] = ()
    reason: str | None = None  # why rejected, or the error of a failed run
    signature: Signature | None = None  # the model's inputs and output, when it was fitted
    # What training cost: peak_rss_mb, cpu_seconds; exit_signal when its worker was killed.
    resources: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in RUN_STATUSES:
            raise ValueError(f"run status {self.status!r} is not one of {', '.join(RUN_STATUSES)}")
        _require_aware("started_at", self.started_at)
        _require_aware("finished_at", self.finished_at)
        _set(self, "params", dict(self.params))
        for name in ("metrics", "baseline_metrics", "timings", "resources"):
            values: Mapping[str, float] = getattr(self, name)
            _set(self, name, {key: float(value) for key, value in values.items()})
        _set(self, "lineage", dict(self.lineage))
        _set(self, "artifacts", tuple(self.artifacts))
        _set(self, "trials", tuple(self.trials))
        _set(self, "findings", tuple(self.findings))

    @property
    def duration_seconds(self) -> float:
        """Wall-clock seconds from start to finish."""
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def short_id(self) -> str:
        """The first eight characters of the run id, enough to look it up."""
        return self.run_id[:8]


@dataclass(frozen=True)
class FleetRunRecord:
    """One ``modelfleet train`` invocation and how many tenants ended which way."""

    id: str
    fleet: str
    environment: str
    status: FleetRunStatus
    started_at: datetime
    finished_at: datetime | None
    config_hash: str
    succeeded: int = 0
    rejected: int = 0
    failed: int = 0
    skipped: int = 0
    actor: str = "unknown"  # who started it
    trigger: RunTrigger = "manual"
    owner_host: str | None = None  # the lease: which process holds the run
    owner_pid: int | None = None
    heartbeat_at: datetime | None = None  # when the owner last renewed it
    planned: int | None = None  # tenants it set out to record (known once planned)

    def __post_init__(self) -> None:
        if self.trigger not in RUN_TRIGGERS:
            raise ValueError(
                f"fleet run trigger {self.trigger!r} is not one of {', '.join(RUN_TRIGGERS)}"
            )
        if self.status not in FLEET_RUN_STATUSES:
            raise ValueError(
                f"fleet run status {self.status!r} is not one of {', '.join(FLEET_RUN_STATUSES)}"
            )
        _require_aware("started_at", self.started_at)
        _require_aware("finished_at", self.finished_at)
        _require_aware("heartbeat_at", self.heartbeat_at)

    @property
    def done(self) -> int:
        """Tenants it recorded (succeeded, rejected or failed)."""
        return self.succeeded + self.rejected + self.failed

    @property
    def left(self) -> int | None:
        """Planned tenants it did not record (None before it was planned)."""
        return None if self.planned is None else max(self.planned - self.done, 0)

    @property
    def total(self) -> int:
        """Tenants the fleet run accounted for."""
        return self.succeeded + self.rejected + self.failed + self.skipped
