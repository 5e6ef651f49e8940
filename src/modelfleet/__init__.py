"""modelfleet: one configurable pipeline that trains, tracks and ships one model per tenant.

The public API is what ``__all__`` lists (a test pins it): ``connect()`` and the
:class:`Client` it returns, the query objects, the records the client answers with, the
caller identity and the error hierarchy. Everything else is importable but may move.
Names load lazily, so ``import modelfleet`` stays cheap for the CLI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from modelfleet.version import __version__

if TYPE_CHECKING:
    from modelfleet.caller import Caller
    from modelfleet.client import Client, HttpPlane, LocalPlane, Plane, ValidationReport, connect
    from modelfleet.errors import (
        ConfigError,
        ConflictError,
        ModelfleetError,
        NotFoundError,
        UsageError,
    )
    from modelfleet.registry.queries import VersionQuery
    from modelfleet.registry.records import (
        MetricFilter,
        ModelEvent,
        ModelVersion,
        PromotionBatch,
        PromotionOutcome,
        SemVer,
    )
    from modelfleet.tracking.queries import RunQuery
    from modelfleet.tracking.records import FleetRunRecord, TenantRunRecord
    from modelfleet.tracking.signature import Signature, SignatureField

_HOMES = {
    "Caller": "modelfleet.caller",
    "Client": "modelfleet.client",
    "HttpPlane": "modelfleet.client",
    "LocalPlane": "modelfleet.client",
    "Plane": "modelfleet.client",
    "ValidationReport": "modelfleet.client",
    "connect": "modelfleet.client",
    "ConfigError": "modelfleet.errors",
    "ConflictError": "modelfleet.errors",
    "ModelfleetError": "modelfleet.errors",
    "NotFoundError": "modelfleet.errors",
    "UsageError": "modelfleet.errors",
    "VersionQuery": "modelfleet.registry.queries",
    "MetricFilter": "modelfleet.registry.records",
    "ModelEvent": "modelfleet.registry.records",
    "ModelVersion": "modelfleet.registry.records",
    "PromotionBatch": "modelfleet.registry.records",
    "PromotionOutcome": "modelfleet.registry.records",
    "SemVer": "modelfleet.registry.records",
    "RunQuery": "modelfleet.tracking.queries",
    "FleetRunRecord": "modelfleet.tracking.records",
    "TenantRunRecord": "modelfleet.tracking.records",
    "Signature": "modelfleet.tracking.signature",
    "SignatureField": "modelfleet.tracking.signature",
}

__all__ = [
    "Caller",
    "Client",
    "ConfigError",
    "ConflictError",
    "FleetRunRecord",
    "HttpPlane",
    "LocalPlane",
    "MetricFilter",
    "ModelEvent",
    "ModelVersion",
    "ModelfleetError",
    "NotFoundError",
    "Plane",
    "PromotionBatch",
    "PromotionOutcome",
    "RunQuery",
    "SemVer",
    "Signature",
    "SignatureField",
    "TenantRunRecord",
    "UsageError",
    "ValidationReport",
    "VersionQuery",
    "__version__",
    "connect",
]


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use."""
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module 'modelfleet' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
