"""JSON shapes of model versions, events and promotions; conversion is derived from the records."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from modelfleet.registry.records import (
    EventKind,
    ModelEvent,
    ModelVersion,
    PromotionBatch,
    PromotionOutcome,
    Signature,
    SignatureField,
)
from modelfleet.registry.traffic import TrafficSetting
from modelfleet.wire.base import MetricMap, Number, Out, RecordOut, VersionText

Status = Literal["candidate", "active", "archived"]


class SignatureFieldOut(RecordOut[SignatureField]):
    """One model input or output."""

    record_type = SignatureField

    name: str
    type: str
    categorical: bool = False


class SignatureOut(RecordOut[Signature]):
    """A model's inputs in training order and its output."""

    record_type = Signature

    inputs: list[SignatureFieldOut]
    output: SignatureFieldOut
    digest: str = Field(description="sha256 of the inputs (as a set) and the output")

    @model_validator(mode="before")
    @classmethod
    def _with_digest(cls, data: Any) -> Any:
        # The digest is computed by the record, not stored on it.
        if isinstance(data, Signature):
            return {"inputs": data.inputs, "output": data.output, "digest": data.digest()}
        return data


class ModelVersionOut(RecordOut[ModelVersion]):
    """One version of ``fleet/tenant`` with its quality, lineage and the aliases on it."""

    record_type = ModelVersion

    model: str = Field(description="fleet/tenant")
    fleet: str
    tenant: str
    version: VersionText = Field(description="semantic version, e.g. 1.2.0")
    status: Status
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


class ModelOut(Out):
    """A model: where each alias points and every version, newest first."""

    model: str
    fleet: str
    tenant: str
    aliases: dict[str, str] = Field(description="alias -> version, e.g. {'prod': '1.2.0'}")
    versions: list[ModelVersionOut]


class ModelEventOut(RecordOut[ModelEvent]):
    """One entry of a model's history: who did what, when, why, from which version to which."""

    record_type = ModelEvent

    id: int
    model: str
    kind: EventKind
    alias: str | None
    from_version: VersionText | None
    to_version: VersionText | None
    actor: str
    reason: str
    at: datetime
    batch_id: str | None
    from_status: Status | None = None
    to_status: Status | None = None


class PromotionOutcomeOut(RecordOut[PromotionOutcome]):
    """What one promotion did and why."""

    record_type = PromotionOutcome

    model: str
    environment: str
    moved: bool
    from_version: VersionText | None
    to_version: VersionText | None
    reason: str
    pending_approval: bool = False


class PromotionBatchOut(RecordOut[PromotionBatch]):
    """A fleet-wide promotion: one outcome per model."""

    record_type = PromotionBatch

    batch_id: str
    fleet: str
    environment: str
    outcomes: list[PromotionOutcomeOut]


class TrafficOut(Out):
    """A tenant's run-time routing in one environment, and who set it when and why."""

    model: str
    environment: str
    mode: str
    challenger: str
    share: Number = None
    challenger_share: float
    updated_at: datetime
    actor: str
    reason: str

    @classmethod
    def of_setting(cls, setting: TrafficSetting) -> TrafficOut:
        """The shape of a setting (its routing flattened)."""
        routing = setting.routing
        return cls(
            model=setting.model,
            environment=setting.environment,
            mode=routing.mode,
            challenger=routing.challenger,
            share=routing.share,
            challenger_share=routing.challenger_share,
            updated_at=setting.updated_at,
            actor=setting.actor,
            reason=setting.reason,
        )

    def setting(self) -> TrafficSetting:
        """The setting this shape carries."""
        from modelfleet.config.serving_blocks import RoutingSpec

        routing = RoutingSpec.model_validate(
            {"mode": self.mode, "challenger": self.challenger, "share": self.share}
        )
        return TrafficSetting(
            self.model, self.environment, routing, self.updated_at, self.actor, self.reason
        )
