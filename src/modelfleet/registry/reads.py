"""Reading the registry: resolve references, list versions, history and search."""

from __future__ import annotations

from modelfleet.errors import UsageError
from modelfleet.registry.backend import missing
from modelfleet.registry.codec import to_event, to_version
from modelfleet.registry.queries import VersionQuery
from modelfleet.registry.records import (
    ModelEvent,
    ModelVersion,
)
from modelfleet.registry.refs import parse_ref, split_model
from modelfleet.store import MetadataStore, MetricCondition
from modelfleet.store import VersionQuery as VersionRowQuery


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


def search(store: MetadataStore, query: VersionQuery) -> list[ModelVersion]:
    """Versions matching every filter of ``query``, in one SQL query."""
    rows_query = VersionRowQuery(
        fleet=query.fleet,
        tenant=query.tenant,
        tags=tuple(sorted(query.tags.items())),
        alias=query.environment,
        status=query.status,
        metrics=tuple(
            MetricCondition(f.scope, f.metric, f.op, f.value) for f in query.metric_filters
        ),
        latest_only=query.latest_only,
        limit=query.limit,
    )
    with store.registry("search model versions") as tx:
        rows = tx.search(rows_query)
    return [to_version(row) for row in rows]
