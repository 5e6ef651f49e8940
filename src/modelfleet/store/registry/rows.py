"""The registry rows that cross the store's border: plain frozen dataclasses.

Versions appear as ``(major, minor, patch)`` tuples and JSON columns as text; turning them into
domain records (:mod:`modelfleet.registry.records`) is the registry's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

VersionKey = tuple[int, int, int]

VERSION_STATUSES: Final = frozenset({"candidate", "active", "archived"})
VERSION_METRIC_SCOPES: Final = frozenset({"candidate", "baseline"})
EVENT_KINDS: Final = frozenset(
    {
        "registered",
        "metadata_updated",
        "alias_set",
        "alias_removed",
        "rolled_back",
        "status_changed",
        "approved",
        "promotion_rejected",
        "deleted",
        "traffic_set",
        "traffic_cleared",
    }
)
METRIC_OPERATORS: Final = ("<", "<=", ">", ">=", "=")


def _check_choice(field: str, value: str, allowed: frozenset[str]) -> None:
    if value not in allowed:
        raise ValueError(f"{field}={value!r} is not one of {', '.join(sorted(allowed))}")


@dataclass(frozen=True)
class VersionRow:
    """One model version as stored; ``aliases`` are those pointing at it, sorted."""

    id: int
    model: str
    major: int
    minor: int
    patch: int
    status: str
    run_id: str | None
    family: str
    signature: str
    signature_digest: str
    model_digest: str
    model_uri: str
    meta_digest: str | None
    holdout_digest: str | None
    metrics: str
    baseline_metrics: str
    tags: str
    data_fingerprint: str | None
    config_hash: str | None
    code_version: str | None
    description: str
    created_at: datetime
    created_by: str
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_choice("version status", self.status, VERSION_STATUSES)

    @property
    def key(self) -> VersionKey:
        """``(major, minor, patch)``, which orders versions."""
        return (self.major, self.minor, self.patch)


@dataclass(frozen=True)
class ModelRow:
    """A registered model; ``signature_digest`` is that of its newest registration."""

    name: str
    fleet: str
    tenant: str
    created_at: datetime
    signature_digest: str


@dataclass(frozen=True)
class NewVersionRow:
    """A version to insert, with its searchable metrics and tags as plain mappings."""

    model: str
    fleet: str
    tenant: str
    key: VersionKey
    status: str
    run_id: str | None
    family: str
    signature: str
    signature_digest: str
    model_digest: str
    model_uri: str
    meta_digest: str | None
    holdout_digest: str | None
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]
    tags: dict[str, str]
    data_fingerprint: str | None
    config_hash: str | None
    code_version: str | None
    description: str
    created_at: datetime
    created_by: str

    def __post_init__(self) -> None:
        _check_choice("version status", self.status, VERSION_STATUSES)


@dataclass(frozen=True)
class EventRow:
    """One entry of a model's history; versions as text ("1.2.0")."""

    id: int
    model: str
    kind: str
    alias: str | None
    from_version: str | None
    to_version: str | None
    from_status: str | None
    to_status: str | None
    actor: str
    reason: str
    at: datetime
    batch_id: str | None


@dataclass(frozen=True)
class NewEventRow:
    """An event to append (its id comes from the database)."""

    model: str
    kind: str
    actor: str
    reason: str
    at: datetime
    alias: str | None = None
    from_version: str | None = None
    to_version: str | None = None
    from_status: str | None = None
    to_status: str | None = None
    batch_id: str | None = None

    def __post_init__(self) -> None:
        _check_choice("event kind", self.kind, EVENT_KINDS)


@dataclass(frozen=True)
class ApprovalRow:
    """A human's approval of one version for one environment."""

    model: str
    version_id: int
    environment: str
    actor: str
    at: datetime
    reason: str


@dataclass(frozen=True)
class MetricCondition:
    """``<scope> metric <op> value`` over a version's recorded metrics."""

    scope: str
    key: str
    op: str
    value: float

    def __post_init__(self) -> None:
        _check_choice("metric scope", self.scope, VERSION_METRIC_SCOPES)
        if self.op not in METRIC_OPERATORS:
            raise ValueError(f"metric operator {self.op!r} is not one of {METRIC_OPERATORS}")


@dataclass(frozen=True)
class VersionQuery:
    """Filters for searching versions; ``None`` means any. Results come by model, newest first.

    ``latest_only`` keeps, per model, the newest version among those matching the filters.
    """

    fleet: str | None = None
    tenant: str | None = None
    model: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    alias: str | None = None
    status: str | None = None
    metrics: tuple[MetricCondition, ...] = ()
    latest_only: bool = False
    limit: int | None = 100

    def __post_init__(self) -> None:
        if self.status is not None:
            _check_choice("version status", self.status, VERSION_STATUSES)
        if self.limit is not None and self.limit < 0:
            raise ValueError(f"limit={self.limit} must be zero or more (or None for all)")
