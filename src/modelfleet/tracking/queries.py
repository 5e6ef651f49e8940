"""The tracker's query object: one value for "which tenant runs", shared by every face."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from modelfleet.errors import UsageError
from modelfleet.tracking.records import RUN_STATUSES, RunStatus

Q = TypeVar("Q")


def query_of(cls: type[Q], query: Q | None, filters: Mapping[str, Any], what: str) -> Q:
    """``query`` itself, or a ``cls`` built from keyword filters (not both): the one place a
    listing's keyword arguments become its query object."""
    if query is not None and filters:
        raise UsageError(f"give a {cls.__name__} or keyword filters, not both")
    if query is not None:
        return query
    try:
        return cls(**filters)
    except TypeError as exc:
        raise UsageError(f"unknown {what} filter: {exc}") from None


@dataclass(frozen=True)
class RunQuery:
    """Tenant runs matching every filter, newest first; ``None`` means any."""

    fleet: str | None = None
    tenant: str | None = None
    status: RunStatus | None = None
    environment: str | None = None
    fleet_run_id: str | None = None
    limit: int | None = 100

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in RUN_STATUSES:
            raise UsageError(f"status {self.status!r}: use one of {', '.join(RUN_STATUSES)}")
        if self.limit is not None and self.limit < 0:
            raise UsageError(f"limit={self.limit}: give zero or more, or None for all")

    @classmethod
    def of(cls, query: RunQuery | None, filters: Mapping[str, Any]) -> RunQuery:
        """``query`` itself, or one built from keyword filters (not both)."""
        return query_of(cls, query, filters, "run")
