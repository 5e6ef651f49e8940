"""Reading the registry: resolve references, list versions, history and search."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from modelfleet.errors import UsageError
from modelfleet.registry.backend import missing
from modelfleet.registry.codec import to_event, to_version
from modelfleet.registry.records import (
    VERSION_STATUSES,
    MetricFilter,
    ModelEvent,
    ModelVersion,
    VersionStatus,
)
from modelfleet.registry.refs import check_alias, parse_ref, split_model
from modelfleet.store import MetadataStore, MetricCondition, VersionQuery


def resolve(store: MetadataStore, ref: str) -> ModelVersion:
    """The version a reference names; an alias is one indexed lookup."""
    parsed = parse_ref(ref)
    if parsed.alias is not None:
        row = store.version_by_alias(parsed.model, parsed.alias)
        if row is not None:
            return to_version(row)
        with store.registry(f"describe {parsed.model}") as tx:
            raise missing(tx, parsed.model, f"alias {parsed.alias!r}")
    with store.registry(f"resolve {parsed}") as tx:
        if parsed.version is not None:
            found = tx.version_by_key(parsed.model, parsed.version.key)
        else:
            found = tx.latest_version(parsed.model, include_archived=False)
        if found is None:
            what = f"version {parsed.version}" if parsed.version else "version that is not archived"
            raise missing(tx, parsed.model, what)
    return to_version(found)


def versions(store: MetadataStore, model: str) -> list[ModelVersion]:
    """Every version of a model, newest first; NotFoundError for a model never registered."""
    split_model(model)
    with store.registry(f"list versions of {model}") as tx:
        rows = tx.versions_of(model)
        if not rows and not tx.model_exists(model):
            raise missing(tx, model, "versions")
    return [to_version(row) for row in rows]


def history(store: MetadataStore, model: str, limit: int | None) -> list[ModelEvent]:
    """A model's events, newest first; NotFoundError for a model that never had any."""
    split_model(model)
    if limit is not None and limit < 0:
        raise UsageError(f"limit={limit}: give zero or more, or None for all")
    with store.registry(f"read the history of {model}") as tx:
        events = tx.events(model=model, limit=limit)
        if not events and limit != 0:
            raise missing(tx, model, "history")
    return [to_event(event) for event in events]


def search(
    store: MetadataStore,
    *,
    fleet: str | None,
    tenant: str | None,
    tags: Mapping[str, str] | None,
    environment: str | None,
    status: VersionStatus | None,
    metrics: Sequence[MetricFilter | str],
    latest_only: bool,
    limit: int | None,
) -> list[ModelVersion]:
    """Versions matching every filter, in one SQL query."""
    if status is not None and status not in VERSION_STATUSES:
        raise UsageError(f"status {status!r}: use one of {', '.join(VERSION_STATUSES)}")
    if limit is not None and limit < 0:
        raise UsageError(f"limit={limit}: give zero or more, or None for all")
    filters = [MetricFilter.parse(m) if isinstance(m, str) else m for m in metrics]
    query = VersionQuery(
        fleet=fleet,
        tenant=tenant,
        tags=tuple(sorted((tags or {}).items())),
        alias=None if environment is None else check_alias(environment),
        status=status,
        metrics=tuple(MetricCondition(f.scope, f.metric, f.op, f.value) for f in filters),
        latest_only=latest_only,
        limit=limit,
    )
    with store.registry("search model versions") as tx:
        rows = tx.search(query)
    return [to_version(row) for row in rows]
