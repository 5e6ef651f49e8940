"""JSON shapes of tenant runs and fleet runs, and their conversion to and from tracking records."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from modelfleet.serving.schemas.base import (
    MetricMap,
    Out,
    metrics_in,
    metrics_out,
    number_in,
    number_out,
)
from modelfleet.serving.schemas.registry import SignatureOut
from modelfleet.tracking.records import (
    ArtifactRecord,
    FindingRecord,
    FleetRunRecord,
    ParamValue,
    TenantRunRecord,
    TrialRecord,
)


class ArtifactOut(Out):
    """A file a run produced, addressed by the sha256 of its bytes."""

    name: str
    kind: str
    digest: str
    uri: str
    size_bytes: int


class FindingOut(Out):
    """One data validation finding."""

    check: str
    severity: Literal["error", "warning"]
    column: str | None
    count: int
    message: str
    examples: list[str] = Field(default_factory=list)


class TrialOut(Out):
    """One tuning trial."""

    number: int
    value: float | None
    params: dict[str, ParamValue]
    state: str


class RunOut(Out):
    """One tenant run with everything recorded about it."""

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
    signature: SignatureOut | None = Field(
        default=None, description="the fitted model's inputs and output (none if nothing fitted)"
    )

    @classmethod
    def of(cls, record: TenantRunRecord) -> RunOut:
        """The JSON shape of a tracking record."""
        return cls(
            run_id=record.run_id,
            fleet_run_id=record.fleet_run_id,
            fleet=record.fleet,
            tenant=record.tenant,
            environment=record.environment,
            status=record.status,
            started_at=record.started_at,
            finished_at=record.finished_at,
            duration_seconds=record.duration_seconds,
            task_key=record.task_key,
            config_hash=record.config_hash,
            data_fingerprint=record.data_fingerprint,
            model_family=record.model_family,
            code_version=record.code_version,
            reason=record.reason,
            params=dict(record.params),
            metrics=metrics_out(record.metrics),
            baseline_metrics=metrics_out(record.baseline_metrics),
            timings=metrics_out(record.timings),
            artifacts=[
                ArtifactOut(
                    name=a.name, kind=a.kind, digest=a.digest, uri=a.uri, size_bytes=a.size_bytes
                )
                for a in record.artifacts
            ],
            lineage=dict(record.lineage),
            trials=[
                TrialOut(
                    number=t.number,
                    value=number_out(t.value),
                    params=dict(t.params),
                    state=t.state,
                )
                for t in record.trials
            ],
            findings=[
                FindingOut(
                    check=f.check,
                    severity=f.severity,
                    column=f.column,
                    count=f.count,
                    message=f.message,
                    examples=list(f.examples),
                )
                for f in record.findings
            ],
            signature=None if record.signature is None else SignatureOut.of(record.signature),
        )

    def record(self) -> TenantRunRecord:
        """The tracking record this shape was made from."""
        return TenantRunRecord(
            run_id=self.run_id,
            fleet_run_id=self.fleet_run_id,
            fleet=self.fleet,
            tenant=self.tenant,
            environment=self.environment,
            status=self.status,
            started_at=self.started_at,
            finished_at=self.finished_at,
            task_key=self.task_key,
            config_hash=self.config_hash,
            data_fingerprint=self.data_fingerprint,
            model_family=self.model_family,
            code_version=self.code_version,
            params=dict(self.params),
            metrics=metrics_in(self.metrics),
            baseline_metrics=metrics_in(self.baseline_metrics),
            timings=metrics_in(self.timings),
            artifacts=tuple(
                ArtifactRecord(a.name, a.kind, a.digest, a.uri, a.size_bytes)
                for a in self.artifacts
            ),
            lineage=dict(self.lineage),
            trials=tuple(
                TrialRecord(t.number, number_in(t.value), dict(t.params), t.state)
                for t in self.trials
            ),
            findings=tuple(
                FindingRecord(f.check, f.severity, f.column, f.count, f.message, tuple(f.examples))
                for f in self.findings
            ),
            reason=self.reason,
            signature=None if self.signature is None else self.signature.record(),
        )


class FleetRunOut(Out):
    """One ``train`` invocation of a fleet and how many tenants ended which way."""

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

    @classmethod
    def of(cls, record: FleetRunRecord) -> FleetRunOut:
        """The JSON shape of a fleet run record."""
        return cls(
            id=record.id,
            fleet=record.fleet,
            environment=record.environment,
            status=record.status,
            started_at=record.started_at,
            finished_at=record.finished_at,
            config_hash=record.config_hash,
            succeeded=record.succeeded,
            rejected=record.rejected,
            failed=record.failed,
            skipped=record.skipped,
        )

    def record(self) -> FleetRunRecord:
        """The fleet run record this shape was made from."""
        return FleetRunRecord(
            id=self.id,
            fleet=self.fleet,
            environment=self.environment,
            status=self.status,
            started_at=self.started_at,
            finished_at=self.finished_at,
            config_hash=self.config_hash,
            succeeded=self.succeeded,
            rejected=self.rejected,
            failed=self.failed,
            skipped=self.skipped,
        )
