"""The metadata store: SQL tables, migrations and queries for runs, tenants and the registry.

Open one by URL with :func:`open_store`: ``sqlite:///path.db`` (embedded default),
``sqlite://`` (in memory, for tests) or ``postgresql://...`` (teams). This package is the
only place in modelfleet that writes SQL; from modelfleet it imports only ``modelfleet.errors``.
"""

from __future__ import annotations

from modelfleet.store.actuals import ActualRow
from modelfleet.store.metadata_store import MetadataStore, open_store
from modelfleet.store.predictions import PredictionRow
from modelfleet.store.registry.rows import (
    ApprovalRow,
    EventRow,
    MetricCondition,
    ModelRow,
    NewEventRow,
    NewVersionRow,
    VersionKey,
    VersionQuery,
    VersionRow,
)
from modelfleet.store.registry.tx import RegistryTx
from modelfleet.store.rows import (
    ArtifactRow,
    FindingRow,
    FleetRunRow,
    LineageRow,
    MetricRow,
    ParamRow,
    RunBundle,
    RunQuery,
    RunRow,
    TenantRow,
    TrialRow,
)
from modelfleet.store.urls import SUPPORTED_FORMS

__all__ = [
    "SUPPORTED_FORMS",
    "ActualRow",
    "ApprovalRow",
    "ArtifactRow",
    "EventRow",
    "FindingRow",
    "FleetRunRow",
    "LineageRow",
    "MetadataStore",
    "MetricCondition",
    "MetricRow",
    "ModelRow",
    "NewEventRow",
    "NewVersionRow",
    "ParamRow",
    "PredictionRow",
    "RegistryTx",
    "RunBundle",
    "RunQuery",
    "RunRow",
    "TenantRow",
    "TrialRow",
    "VersionKey",
    "VersionQuery",
    "VersionRow",
    "open_store",
]
