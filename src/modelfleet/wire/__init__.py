"""The JSON shapes of the control plane: request bodies, responses and their record converters.

Responses convert from the records the Python API returns (``RunOut.of(record)``) and back
(``RunOut(...).record()``), so the remote client hands its callers the same dataclasses.
"""

from __future__ import annotations

from modelfleet.wire.base import ErrorField, ErrorOut, HealthOut, error_class
from modelfleet.wire.registry import (
    ModelEventOut,
    ModelOut,
    ModelVersionOut,
    PromotionBatchOut,
    PromotionOutcomeOut,
    SignatureFieldOut,
    SignatureOut,
)
from modelfleet.wire.requests import (
    AliasIn,
    ApproveIn,
    BatchRollbackIn,
    FleetPromoteIn,
    MetadataPatchIn,
    PromoteIn,
    RegisterIn,
    RollbackIn,
    WriteIn,
)
from modelfleet.wire.runs import (
    ArtifactOut,
    FindingOut,
    FleetRunOut,
    RunOut,
    TrialOut,
)

__all__ = [
    "AliasIn",
    "ApproveIn",
    "ArtifactOut",
    "BatchRollbackIn",
    "ErrorField",
    "ErrorOut",
    "FindingOut",
    "FleetPromoteIn",
    "FleetRunOut",
    "HealthOut",
    "MetadataPatchIn",
    "ModelEventOut",
    "ModelOut",
    "ModelVersionOut",
    "PromoteIn",
    "PromotionBatchOut",
    "PromotionOutcomeOut",
    "RegisterIn",
    "RollbackIn",
    "RunOut",
    "SignatureFieldOut",
    "SignatureOut",
    "TrialOut",
    "WriteIn",
    "error_class",
]
