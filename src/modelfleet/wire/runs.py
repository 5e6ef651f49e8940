"""JSON shapes of tenant runs and fleet runs; conversion is derived from the tracking records."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from modelfleet.tracking.records import (
    ArtifactRecord,
    FindingRecord,
    FleetRunRecord,
    ParamValue,
    RunTrigger,
    TenantRunRecord,
    TrialRecord,
)
from modelfleet.wire.base import MetricMap, Number, RecordOut
from modelfleet.wire.registry import SignatureOut


class ArtifactOut(RecordOut[ArtifactRecord]):
    """A file a run produced, addressed by the sha256 of its bytes."""

    record_type = ArtifactRecord

    name: str
    kind: str
    digest: str
    uri: str
    size_bytes: int


class FindingOut(RecordOut[FindingRecord]):
    """One data validation finding."""

    record_type = FindingRecord

    check: str
    severity: Literal["error", "warning"]
    column: str | None
    count: int
    message: str
    examples: list[str] = Field(default_factory=list)


class TrialOut(RecordOut[TrialRecord]):
    """One tuning trial."""

    record_type = TrialRecord

    number: int
    value: Number
    params: dict[str, ParamValue]
    state: str


class RunOut(RecordOut[TenantRunRecord]):
    """One tenant run with everything recorded about it."""

    record_type = TenantRunRecord

    run_id: str
    fleet_run_id: str
    fleet: str
    tenant: str
    environment: str
    status: Literal["succeeded", "rejected", "failed"]
    started_at: datetime
    finished_at: datetime
    duration_seconds: float
    task_key: str
    config_hash: str
    data_fingerprint: str | None
    model_family: str
    code_version: str | None
    reason: str | None
    params: dict[str, ParamValue]
    metrics: MetricMap
    baseline_metrics: MetricMap
    timings: MetricMap
    artifacts: list[ArtifactOut]
    lineage: dict[str, str]
    trials: list[TrialOut]
    findings: list[FindingOut]

    signature: SignatureOut | None = None
    resources: MetricMap = {}


class FleetRunOut(RecordOut[FleetRunRecord]):
    """One ``train`` invocation of a fleet and how many tenants ended which way."""

    record_type = FleetRunRecord

    id: str
    fleet: str
    environment: str
    status: Literal["running", "succeeded", "partial", "failed", "interrupted"]
    started_at: datetime
    finished_at: datetime | None
    config_hash: str
    succeeded: int
    rejected: int
    failed: int
    skipped: int

    actor: str = "unknown"
    trigger: RunTrigger = "manual"
    owner_host: str | None = None
    owner_pid: int | None = None
    heartbeat_at: datetime | None = None
    planned: int | None = None
