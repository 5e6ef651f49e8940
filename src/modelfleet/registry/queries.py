"""The registry's query object: one value for "which versions", shared by every face.

:class:`VersionQuery` is what the Python client, the HTTP plane, the control plane's routes and
the CLI build from their own inputs; :func:`modelfleet.registry.reads.search` turns it into one
SQL query. Its fields are the one list of search filters in the code base.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from modelfleet.errors import UsageError
from modelfleet.registry.records import VERSION_STATUSES, MetricFilter, VersionStatus
from modelfleet.registry.refs import check_alias
from modelfleet.tracking.queries import query_of


@dataclass(frozen=True)
class VersionQuery:
    """Versions matching every filter, by model and newest first; ``None`` means any.

    ``environment`` keeps versions an alias of that name points at; ``latest_only`` keeps each
    model's newest match; ``metrics`` take MetricFilter or text like ``"wmape>0.3"``.
    """

    fleet: str | None = None
    tenant: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    environment: str | None = None
    status: VersionStatus | None = None
    metrics: Sequence[MetricFilter | str] = ()
    latest_only: bool = False
    limit: int | None = 100

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in VERSION_STATUSES:
            raise UsageError(f"status {self.status!r}: use one of {', '.join(VERSION_STATUSES)}")
        if self.limit is not None and self.limit < 0:
            raise UsageError(f"limit={self.limit}: give zero or more, or None for all")
        if self.environment is not None:
            check_alias(self.environment)
        parsed = tuple(MetricFilter.parse(m) if isinstance(m, str) else m for m in self.metrics)
        object.__setattr__(self, "metrics", parsed)
        object.__setattr__(self, "tags", dict(self.tags or {}))

    @property
    def metric_filters(self) -> tuple[MetricFilter, ...]:
        """The metric thresholds, parsed."""
        return tuple(m for m in self.metrics if isinstance(m, MetricFilter))

    @classmethod
    def of(cls, query: VersionQuery | None, filters: Mapping[str, Any]) -> VersionQuery:
        """``query`` itself, or one built from keyword filters (not both)."""
        return query_of(cls, query, filters, "version search")
