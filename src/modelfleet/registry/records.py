"""What the registry returns: versions, signatures, events and promotion outcomes.

Frozen dataclasses, the public shape of registry data for the pipeline, CLI, REST control plane
and model cards. Constructors normalise mappings to dicts and sequences to tuples, so a record
read back from the store compares equal to one built by hand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeAlias, cast, get_args

from modelfleet.errors import UsageError
from modelfleet.registry.semver import SemVer
from modelfleet.tracking.signature import Signature, SignatureField

VersionStatus: TypeAlias = Literal["candidate", "active", "archived"]
EventKind: TypeAlias = Literal[
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
]
MetricOp: TypeAlias = Literal["<", "<=", ">", ">=", "="]
MetricScope: TypeAlias = Literal["candidate", "baseline"]

VERSION_STATUSES: tuple[VersionStatus, ...] = get_args(VersionStatus)
# Kinds that move an alias; their from/to versions chain per (model, alias).
ALIAS_MOVES: tuple[EventKind, ...] = ("alias_set", "alias_removed", "rolled_back")

__all__ = [
    "ALIAS_MOVES",
    "VERSION_STATUSES",
    "EventKind",
    "MetricFilter",
    "ModelEvent",
    "ModelVersion",
    "PromotionBatch",
    "PromotionOutcome",
    "SemVer",
    "Signature",
    "SignatureField",
    "VersionStatus",
]


def _set(record: object, name: str, value: object) -> None:
    object.__setattr__(record, name, value)  # normalising a frozen dataclass in __post_init__


@dataclass(frozen=True)
class ModelVersion:
    """One immutable version of ``fleet/tenant``: artifacts, quality, lineage and its aliases."""

    model: str
    fleet: str
    tenant: str
    version: SemVer
    status: VersionStatus
    run_id: str | None
    family: str
    signature: Signature
    model_digest: str
    model_uri: str
    meta_digest: str | None
    holdout_digest: str | None
    metrics: Mapping[str, float]
    baseline_metrics: Mapping[str, float]
    tags: Mapping[str, str]
    data_fingerprint: str | None
    config_hash: str | None
    code_version: str | None
    aliases: tuple[str, ...]
    description: str
    created_at: datetime
    created_by: str

    def __post_init__(self) -> None:
        _set(self, "metrics", {k: float(v) for k, v in self.metrics.items()})
        _set(self, "baseline_metrics", {k: float(v) for k, v in self.baseline_metrics.items()})
        _set(self, "tags", dict(self.tags))
        _set(self, "aliases", tuple(sorted(self.aliases)))

    @property
    def ref(self) -> str:
        """``fleet/tenant:1.2.0``: a reference to exactly this version."""
        return f"{self.model}:{self.version}"


@dataclass(frozen=True)
class ModelEvent:
    """One entry of a model's history: who did what, when, why, from which version to which.

    Alias moves carry the alias and from/to versions; ``status_changed`` carries the version
    in ``to_version`` and the statuses in ``from_status``/``to_status``.
    """

    id: int
    model: str
    kind: EventKind
    alias: str | None
    from_version: SemVer | None
    to_version: SemVer | None
    actor: str
    reason: str
    at: datetime
    batch_id: str | None
    from_status: VersionStatus | None = None
    to_status: VersionStatus | None = None


@dataclass(frozen=True)
class PromotionOutcome:
    """What one promotion did and why; ``pending_approval`` when only an approval is missing."""

    model: str
    environment: str
    moved: bool
    from_version: SemVer | None
    to_version: SemVer | None
    reason: str
    pending_approval: bool = False


@dataclass(frozen=True)
class PromotionBatch:
    """A fleet-wide promotion: one outcome per model, all events tagged with ``batch_id``."""

    batch_id: str
    fleet: str
    environment: str
    outcomes: tuple[PromotionOutcome, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        _set(self, "outcomes", tuple(self.outcomes))

    @property
    def moved(self) -> tuple[PromotionOutcome, ...]:
        """Outcomes that moved the environment's alias."""
        return tuple(outcome for outcome in self.outcomes if outcome.moved)

    @property
    def not_moved(self) -> tuple[PromotionOutcome, ...]:
        """Outcomes that did not, each with its reason."""
        return tuple(outcome for outcome in self.outcomes if not outcome.moved)


_FILTER = re.compile(
    r"^\s*(?:(candidate|baseline)\.)?([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>|==|=)\s*(\S+)\s*$"
)


@dataclass(frozen=True)
class MetricFilter:
    """A threshold on a recorded metric: ``wmape > 0.3`` (``scope`` baseline: the baseline's)."""

    metric: str
    op: MetricOp
    value: float
    scope: MetricScope = "candidate"

    def __post_init__(self) -> None:
        if self.op not in get_args(MetricOp):
            raise UsageError(f"metric filter operator {self.op!r}: use <, <=, >, >= or =")
        if self.scope not in get_args(MetricScope):
            raise UsageError(f"metric filter scope {self.scope!r}: use candidate or baseline")
        _set(self, "value", float(self.value))

    def __str__(self) -> str:
        prefix = "baseline." if self.scope == "baseline" else ""
        return f"{prefix}{self.metric}{self.op}{self.value:g}"

    @classmethod
    def parse(cls, text: str) -> MetricFilter:
        """Parse ``wmape>0.3`` or ``baseline.mae<=12``; UsageError showing the form."""
        match = _FILTER.match(text) if isinstance(text, str) else None
        value: float | None = None
        if match is not None:
            try:
                value = float(match[4])
            except ValueError:
                value = None
        if match is None or value is None:
            raise UsageError(
                f"{text!r} is not a metric filter: write METRIC OP NUMBER, e.g. wmape>0.3 or "
                "baseline.mae<=12 (OP is one of < <= > >= =)"
            )
        op = "=" if match[3] == "==" else match[3]
        return cls(match[2], cast(MetricOp, op), value, cast(MetricScope, match[1] or "candidate"))
