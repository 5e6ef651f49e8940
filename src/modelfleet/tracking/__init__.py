"""Tracking: record fleet runs and tenant runs with their params, metrics and lineage.

The :class:`Tracker` is the entry point; the records in :mod:`.records` are what it takes and
returns. Storage is the metadata store's business (:mod:`modelfleet.store`).
"""

from __future__ import annotations

from modelfleet.tracking.compare import ComparisonRow, ComparisonTable, compare_runs
from modelfleet.tracking.lineage import (
    DEFAULT_PACKAGES,
    code_version,
    config_hash,
    package_versions,
)
from modelfleet.tracking.records import (
    ArtifactRecord,
    FindingRecord,
    FleetRunRecord,
    FleetRunStatus,
    ParamValue,
    RunStatus,
    TenantRunRecord,
    TrialRecord,
    new_run_id,
)
from modelfleet.tracking.tracker import Tracker

__all__ = [
    "DEFAULT_PACKAGES",
    "ArtifactRecord",
    "ComparisonRow",
    "ComparisonTable",
    "FindingRecord",
    "FleetRunRecord",
    "FleetRunStatus",
    "ParamValue",
    "RunStatus",
    "TenantRunRecord",
    "Tracker",
    "TrialRecord",
    "code_version",
    "compare_runs",
    "config_hash",
    "new_run_id",
    "package_versions",
]
