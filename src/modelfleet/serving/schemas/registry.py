"""JSON shapes of model versions, events and promotions, and their conversion to records."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from modelfleet.registry.records import (
    EventKind,
    ModelEvent,
    ModelVersion,
    PromotionBatch,
    PromotionOutcome,
    Signature,
    SignatureField,
    VersionStatus,
)
from modelfleet.registry.semver import SemVer
from modelfleet.serving.schemas.base import MetricMap, Out, metrics_in, metrics_out


def _text(version: SemVer | None) -> str | None:
    return None if version is None else str(version)


def _semver(text: str | None) -> SemVer | None:
    return None if text is None else SemVer.parse(text)


class SignatureFieldOut(Out):
    """One model input or output."""

    name: str
    type: str
    categorical: bool = False

    def record(self) -> SignatureField:
        """The registry's signature field."""
        return SignatureField(self.name, self.type, self.categorical)


class SignatureOut(Out):
    """A model's inputs in training order and its output."""

    inputs: list[SignatureFieldOut]
    output: SignatureFieldOut
    digest: str = Field(description="sha256 of the inputs (as a set) and the output")

    @classmethod
    def of(cls, signature: Signature) -> SignatureOut:
        """The JSON shape of a signature."""
        return cls(
            inputs=[SignatureFieldOut(**item.to_dict()) for item in signature.inputs],
            output=SignatureFieldOut(**signature.output.to_dict()),
            digest=signature.digest(),
        )

    def record(self) -> Signature:
        """The registry's signature."""
        return Signature(tuple(i.record() for i in self.inputs), self.output.record())


class ModelVersionOut(Out):
    """One version of ``fleet/tenant`` with its quality, lineage and the aliases on it."""

    model: str = Field(description="fleet/tenant")
    fleet: str
    tenant: str
    version: str = Field(description="semantic version, e.g. 1.2.0")
    status: Literal["candidate", "active", "archived"]
    run_id: str | None
    family: str
    signature: SignatureOut
    model_digest: str
    model_uri: str
    meta_digest: str | None
    holdout_digest: str | None
    metrics: MetricMap
    baseline_metrics: MetricMap
    tags: dict[str, str]
    data_fingerprint: str | None
    config_hash: str | None
    code_version: str | None
    aliases: list[str]
    description: str
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, v: ModelVersion) -> ModelVersionOut:
        """The JSON shape of a model version."""
        return cls(
            model=v.model,
            fleet=v.fleet,
            tenant=v.tenant,
            version=str(v.version),
            status=v.status,
            run_id=v.run_id,
            family=v.family,
            signature=SignatureOut.of(v.signature),
            model_digest=v.model_digest,
            model_uri=v.model_uri,
            meta_digest=v.meta_digest,
            holdout_digest=v.holdout_digest,
            metrics=metrics_out(v.metrics),
            baseline_metrics=metrics_out(v.baseline_metrics),
            tags=dict(v.tags),
            data_fingerprint=v.data_fingerprint,
            config_hash=v.config_hash,
            code_version=v.code_version,
            aliases=list(v.aliases),
            description=v.description,
            created_at=v.created_at,
            created_by=v.created_by,
        )

    def record(self) -> ModelVersion:
        """The registry's model version."""
        status: VersionStatus = self.status
        return ModelVersion(
            model=self.model,
            fleet=self.fleet,
            tenant=self.tenant,
            version=SemVer.parse(self.version),
            status=status,
            run_id=self.run_id,
            family=self.family,
            signature=self.signature.record(),
            model_digest=self.model_digest,
            model_uri=self.model_uri,
            meta_digest=self.meta_digest,
            holdout_digest=self.holdout_digest,
            metrics=metrics_in(self.metrics),
            baseline_metrics=metrics_in(self.baseline_metrics),
            tags=dict(self.tags),
            data_fingerprint=self.data_fingerprint,
            config_hash=self.config_hash,
            code_version=self.code_version,
            aliases=tuple(self.aliases),
            description=self.description,
            created_at=self.created_at,
            created_by=self.created_by,
        )


class ModelOut(Out):
    """A model: where each alias points and every version, newest first."""

    model: str
    fleet: str
    tenant: str
    aliases: dict[str, str] = Field(description="alias -> version, e.g. {'prod': '1.2.0'}")
    versions: list[ModelVersionOut]


class ModelEventOut(Out):
    """One entry of a model's history: who did what, when, why, from which version to which."""

    id: int
    model: str
    kind: EventKind
    alias: str | None
    from_version: str | None
    to_version: str | None
    actor: str
    reason: str
    at: datetime
    batch_id: str | None
    from_status: Literal["candidate", "active", "archived"] | None = None
    to_status: Literal["candidate", "active", "archived"] | None = None

    @classmethod
    def of(cls, e: ModelEvent) -> ModelEventOut:
        """The JSON shape of an event."""
        return cls(
            id=e.id,
            model=e.model,
            kind=e.kind,
            alias=e.alias,
            from_version=_text(e.from_version),
            to_version=_text(e.to_version),
            actor=e.actor,
            reason=e.reason,
            at=e.at,
            batch_id=e.batch_id,
            from_status=e.from_status,
            to_status=e.to_status,
        )

    def record(self) -> ModelEvent:
        """The registry's event."""
        return ModelEvent(
            id=self.id,
            model=self.model,
            kind=self.kind,
            alias=self.alias,
            from_version=_semver(self.from_version),
            to_version=_semver(self.to_version),
            actor=self.actor,
            reason=self.reason,
            at=self.at,
            batch_id=self.batch_id,
            from_status=self.from_status,
            to_status=self.to_status,
        )


class PromotionOutcomeOut(Out):
    """What one promotion did and why."""

    model: str
    environment: str
    moved: bool
    from_version: str | None
    to_version: str | None
    reason: str
    pending_approval: bool = False

    @classmethod
    def of(cls, o: PromotionOutcome) -> PromotionOutcomeOut:
        """The JSON shape of an outcome."""
        return cls(
            model=o.model,
            environment=o.environment,
            moved=o.moved,
            from_version=_text(o.from_version),
            to_version=_text(o.to_version),
            reason=o.reason,
            pending_approval=o.pending_approval,
        )

    def record(self) -> PromotionOutcome:
        """The registry's outcome."""
        return PromotionOutcome(
            model=self.model,
            environment=self.environment,
            moved=self.moved,
            from_version=_semver(self.from_version),
            to_version=_semver(self.to_version),
            reason=self.reason,
            pending_approval=self.pending_approval,
        )


class PromotionBatchOut(Out):
    """A fleet-wide promotion: one outcome per model."""

    batch_id: str
    fleet: str
    environment: str
    outcomes: list[PromotionOutcomeOut]

    @classmethod
    def of(cls, b: PromotionBatch) -> PromotionBatchOut:
        """The JSON shape of a batch."""
        return cls(
            batch_id=b.batch_id,
            fleet=b.fleet,
            environment=b.environment,
            outcomes=[PromotionOutcomeOut.of(o) for o in b.outcomes],
        )

    def record(self) -> PromotionBatch:
        """The registry's batch."""
        return PromotionBatch(
            self.batch_id, self.fleet, self.environment, tuple(o.record() for o in self.outcomes)
        )
