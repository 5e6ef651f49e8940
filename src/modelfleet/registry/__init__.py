"""The model registry: semantic versions per tenant model, environment aliases, promotion policy,
approvals, rollback, history and search.

:class:`Registry` is the entry point; :mod:`.records` holds what it returns and :mod:`.policy`
the promotion rules a fleet spec declares. Storage is the metadata store's business.
"""

from __future__ import annotations

from modelfleet.registry.policy import PromotionPolicy, StepRule
from modelfleet.registry.records import (
    MetricFilter,
    ModelEvent,
    ModelVersion,
    PromotionBatch,
    PromotionOutcome,
    SemVer,
    Signature,
    SignatureField,
    VersionStatus,
)
from modelfleet.registry.refs import ModelRef, parse_ref
from modelfleet.registry.service import Registry

__all__ = [
    "MetricFilter",
    "ModelEvent",
    "ModelRef",
    "ModelVersion",
    "PromotionBatch",
    "PromotionOutcome",
    "PromotionPolicy",
    "Registry",
    "SemVer",
    "Signature",
    "SignatureField",
    "StepRule",
    "VersionStatus",
    "parse_ref",
]
