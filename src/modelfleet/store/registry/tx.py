"""Registry SQL inside one transaction: the reads and writes the registry composes.

:meth:`MetadataStore.registry <modelfleet.store.MetadataStore.registry>` opens a transaction and
hands out a :class:`RegistryTx`; the registry's rules (version numbers, promotion checks) run
in Python between these calls, and everything commits or rolls back together. Writers call
:meth:`RegistryTx.lock` first, so a read-check-write on one model is never interleaved with
another writer's: SQLite's ``BEGIN IMMEDIATE`` already holds the database write lock, and on
PostgreSQL a transaction-scoped advisory lock per model serialises writers of that model only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, Final, TypeVar

from sqlalchemy import Connection, Executable, Result, select, text

from modelfleet.store.registry import traffic
from modelfleet.store.registry.rows import (
    ApprovalRow,
    EventRow,
    ModelRow,
    NewEventRow,
    NewVersionRow,
    VersionKey,
    VersionQuery,
    VersionRow,
)
from modelfleet.store.registry.schema import model_events, models
from modelfleet.store.registry.search import (
    refresh_statistics,
    search_statement,
    statistics_due,
)
from modelfleet.store.registry.sql import statements
from modelfleet.store.registry.traffic import TrafficRow
from modelfleet.tenant_ids import require_tenant_ids

IN_CHUNK: Final = 500
T = TypeVar("T")
_LOCK_SQL = text(
    "SELECT pg_advisory_xact_lock(hashtext(:prefix || coalesce(current_schema(), '') || :model))"
)


class RegistryTx:
    """Registry reads and writes on one connection, inside the caller's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._dialect = connection.dialect.name
        self._sql = statements(self._dialect)

    # -- locking ----------------------------------------------------------------------------

    def lock(self, model_names: Iterable[str]) -> None:
        """Serialise writers of these models until the transaction ends (sorted: no deadlock)."""
        if self._dialect != "postgresql":
            return  # SQLite: BEGIN IMMEDIATE already holds the one write lock
        for name in sorted(set(model_names)):
            self._connection.execute(_LOCK_SQL, {"prefix": "modelfleet.registry:", "model": name})

    # -- versions ---------------------------------------------------------------------------

    def version_by_key(self, model: str, key: VersionKey) -> VersionRow | None:
        """One version of a model by number, or None."""
        major, minor, patch = key
        return self._version(
            self._sql.version_by_key, model=model, major=major, minor=minor, patch=patch
        )

    def version_by_id(self, version_id: int) -> VersionRow | None:
        """One version by row id, or None."""
        return self._version(self._sql.version_by_id, id=version_id)

    def version_by_alias(self, model: str, alias: str) -> VersionRow | None:
        """The version an alias of a model points at, or None."""
        return self._version(self._sql.version_by_alias, model=model, alias=alias)

    def versions_for_runs(self, run_ids: Collection[str]) -> dict[str, VersionRow]:
        """The first version registered from each of ``run_ids`` that has one."""
        found: dict[str, VersionRow] = {}
        for chunk in _chunks(sorted(set(run_ids))):
            result = self._connection.execute(self._sql.versions_for_runs, {"run_ids": chunk})
            for version in version_rows(result):
                found.setdefault(version.run_id or "", version)
        return found

    def versions_by_ids(self, ids: Collection[int]) -> dict[int, VersionRow]:
        """Versions by row id (missing ids are left out)."""
        found: dict[int, VersionRow] = {}
        for chunk in _chunks(sorted(set(ids))):
            result = self._connection.execute(self._sql.versions_by_ids, {"ids": chunk})
            for version in version_rows(result):
                found[version.id] = version
        return found

    def versions_with_data(self, pairs: Collection[tuple[str, str]]) -> list[VersionRow]:
        """Unarchived versions of each (model, data fingerprint) pair, oldest first."""
        wanted = set(pairs)
        found: dict[int, VersionRow] = {}
        for chunk in _chunks(sorted(wanted)):
            params = {"models": [m for m, _ in chunk], "fingerprints": [f for _, f in chunk]}
            for version in version_rows(
                self._connection.execute(self._sql.versions_with_data, params)
            ):
                if (version.model, version.data_fingerprint) in wanted:
                    found[version.id] = version
        return [found[key] for key in sorted(found)]

    def latest_version(self, model: str, *, include_archived: bool) -> VersionRow | None:
        """The highest-numbered version of a model (optionally skipping archived ones)."""
        statement = self._sql.latest_version if include_archived else self._sql.latest_unarchived
        return self._version(statement, model=model)

    def versions_of(self, model: str) -> list[VersionRow]:
        """Every version of a model, newest first."""
        return version_rows(self._connection.execute(self._sql.versions_of, {"model": model}))

    def search(self, query: VersionQuery) -> list[VersionRow]:
        """Versions matching every filter of ``query``, by model then newest first."""
        return version_rows(self._connection.execute(search_statement(query, self._dialect)))

    def insert_versions(self, rows: Sequence[NewVersionRow]) -> list[int]:
        """Insert versions with their searchable metrics and tags; returns ids in row order."""
        if not rows:
            return []
        result = self._connection.execute(
            self._sql.insert_versions, [_version_values(row) for row in rows]
        )
        ids = [int(version_id) for version_id in result.scalars()]
        metric_rows = [
            {"version_id": version_id, "scope": scope, "key": key, "value": _number(value)}
            for version_id, row in zip(ids, rows, strict=True)
            for scope, mapping in (("candidate", row.metrics), ("baseline", row.baseline_metrics))
            for key, value in mapping.items()
        ]
        if metric_rows:
            self._connection.execute(self._sql.insert_metric, metric_rows)
        tag_rows = [
            {"version_id": version_id, "key": key, "value": value}
            for version_id, row in zip(ids, rows, strict=True)
            for key, value in row.tags.items()
        ]
        if tag_rows:
            self._connection.execute(self._sql.insert_tag, tag_rows)
        # Versions, their tags, metrics and models grow together: re-collect the planner's
        # statistics when they have doubled (search's plan depends on them; see
        # registry.search). Ids come in row order, so ids[0]..ids[-1] are the rows just written.
        if self._dialect == "sqlite" and statistics_due(ids[0], ids[-1]):
            refresh_statistics(self._connection)
        return ids

    def set_status(self, version_id: int, status: str) -> None:
        """Set one version's status."""
        self._run(self._sql.set_status, version_id=version_id, new_status=status)

    def delete_version(self, version_id: int) -> None:
        """Delete a version with its metrics, tags and approvals (events stay)."""
        # Child rows explicitly: SQLite enforces ON DELETE CASCADE only with foreign keys on,
        # and a connection opened by another tool might not have them.
        for statement in self._sql.delete_children:
            self._run(statement, version_id=version_id)
        self._run(self._sql.delete_version, version_id=version_id)

    # -- models -----------------------------------------------------------------------------

    def model_signatures(self, names: Collection[str]) -> dict[str, str]:
        """Model name -> signature digest of its newest registration, for registered models."""
        found: dict[str, str] = {}
        for chunk in _chunks(sorted(set(names))):
            for row in self._connection.execute(self._sql.model_signatures, {"models": chunk}):
                found[str(row.name)] = str(row.signature_digest)
        return found

    def model_exists(self, name: str) -> bool:
        """Whether a model was ever registered (its versions may all be deleted)."""
        return bool(self.model_signatures([name]))

    def insert_models(self, rows: Sequence[ModelRow]) -> None:
        """Insert new models; a tenant id that breaks the one rule never reaches the table."""
        require_tenant_ids((row.tenant for row in rows), "registering models")
        if rows:
            self._connection.execute(self._sql.insert_model, [asdict(row) for row in rows])

    def update_signatures(self, digests: Mapping[str, str]) -> None:
        """Record the signature digest of each model's newest registration."""
        if digests:
            values = [
                {"w_name": name, "new_signature_digest": digest}
                for name, digest in sorted(digests.items())
            ]
            self._connection.execute(self._sql.update_model_signature, values)

    def model_names(self, fleet: str | None, limit: int | None = None) -> list[str]:
        """Registered model names in order, optionally of one fleet."""
        statement = select(models.c.name).order_by(models.c.fleet, models.c.tenant)
        if fleet is not None:
            statement = statement.where(models.c.fleet == fleet)
        if limit is not None:
            statement = statement.limit(limit)
        return [str(name) for name in self._connection.execute(statement).scalars()]

    def created_versions(self, names: Collection[str]) -> dict[str, list[str]]:
        """Every version number each model ever had, deleted ones too (from its events)."""
        found: dict[str, list[str]] = {name: [] for name in names}
        for chunk in _chunks(sorted(found)):
            for row in self._connection.execute(self._sql.created_versions, {"models": chunk}):
                if row.to_version:
                    found[str(row.model)].append(str(row.to_version))
        return found

    # -- aliases ----------------------------------------------------------------------------

    def aliases_of(self, model: str) -> dict[str, VersionKey]:
        """Alias name -> version number for one model."""
        rows = self._connection.execute(self._sql.aliases_of, {"model": model})
        return {str(row.alias): (int(row.major), int(row.minor), int(row.patch)) for row in rows}

    def alias_count(self, version_id: int) -> int:
        """How many aliases point at a version."""
        result = self._connection.execute(self._sql.alias_count, {"version_id": version_id})
        return int(result.scalar_one())

    def set_alias(self, model: str, alias: str, version_id: int, at: datetime) -> None:
        """Point an alias at a version, creating the alias if needed (caller holds the lock)."""
        moved = self._connection.execute(
            self._sql.move_alias,
            {
                "w_model": model,
                "w_alias": alias,
                "new_version_id": version_id,
                "new_updated_at": at,
            },
        )
        if moved.rowcount == 0:
            values = {"model": model, "alias": alias, "version_id": version_id, "updated_at": at}
            added = self._connection.execute(self._sql.insert_alias, values)
            # Aliases usually come after registration (promotion), so statistics taken while
            # registering saw few or none, and an "alias = 'prod'" the planner believes rare
            # makes it start from every prod version. So re-collect when aliases double too
            # (this table has no integer key; its SQLite rowid numbers the rows).
            if self._dialect == "sqlite" and statistics_due(added.lastrowid, added.lastrowid):
                refresh_statistics(self._connection)

    def remove_alias(self, model: str, alias: str) -> None:
        """Delete an alias."""
        self._run(self._sql.remove_alias, model=model, alias=alias)

    def set_traffic(self, row: TrafficRow) -> None:
        """Replace a tenant's traffic setting in one environment (caller holds the lock)."""
        traffic.set_traffic(self._connection, row)

    def remove_traffic(self, model: str, environment: str) -> bool:
        """Drop a traffic setting; whether there was one."""
        return traffic.remove_traffic(self._connection, model, environment)

    def traffic(self, model: str, environment: str) -> TrafficRow | None:
        """A tenant's traffic setting in one environment, or None."""
        return traffic.traffic_of(self._connection, model, environment)

    # -- events and approvals ---------------------------------------------------------------

    def add_event(self, row: NewEventRow) -> EventRow:
        """Append an event; returns it with its id."""
        values = _event_values(row)
        event_id = self._connection.execute(self._sql.insert_event, values).scalar_one()
        return EventRow(id=int(event_id), **values)

    def add_events(self, rows: Sequence[NewEventRow]) -> None:
        """Append many events at once (their ids are not needed)."""
        if rows:
            self._connection.execute(self._sql.insert_events, [_event_values(row) for row in rows])

    def events(
        self,
        *,
        model: str | None = None,
        alias: str | None = None,
        kinds: Sequence[str] = (),
        batch_id: str | None = None,
        newest_first: bool = True,
        limit: int | None = None,
    ) -> list[EventRow]:
        """Events matching every given filter, ordered by id."""
        statement = select(model_events)
        if model is not None:
            statement = statement.where(model_events.c.model == model)
        if alias is not None:
            statement = statement.where(model_events.c.alias == alias)
        if kinds:
            statement = statement.where(model_events.c.kind.in_(kinds))
        if batch_id is not None:
            statement = statement.where(model_events.c.batch_id == batch_id)
        order = model_events.c.id.desc() if newest_first else model_events.c.id
        statement = statement.order_by(order)
        if limit is not None:
            statement = statement.limit(limit)
        return [EventRow(**row._mapping) for row in self._connection.execute(statement)]

    def approval(self, model: str, version_id: int, environment: str) -> ApprovalRow | None:
        """The approval of a version for an environment, or None."""
        row = self._connection.execute(
            self._sql.approval,
            {"model": model, "version_id": version_id, "environment": environment},
        ).first()
        return None if row is None else ApprovalRow(**row._mapping)

    def add_approval(self, row: ApprovalRow, *, replace: bool = False) -> None:
        """Record an approval (``replace``: instead of the one already there)."""
        if replace:
            from modelfleet.store.registry.schema import approvals

            self._connection.execute(
                approvals.delete().where(
                    (approvals.c.model == row.model)
                    & (approvals.c.version_id == row.version_id)
                    & (approvals.c.environment == row.environment)
                )
            )
        values = {
            "model": row.model,
            "version_id": row.version_id,
            "environment": row.environment,
            "actor": row.actor,
            "at": row.at,
            "reason": row.reason,
        }
        self._connection.execute(self._sql.insert_approval, values)

    # -- helpers ----------------------------------------------------------------------------

    def _version(self, statement: Executable, **params: Any) -> VersionRow | None:
        rows = version_rows(self._connection.execute(statement, params))
        return rows[0] if rows else None

    def _run(self, statement: Executable, **params: Any) -> None:
        self._connection.execute(statement, params)


def version_rows(result: Result[Any]) -> list[VersionRow]:
    """VersionRows from a result of :func:`~.search.version_columns`."""
    names = tuple(result.keys())
    return [version_row(row, names) for row in result]


def version_row(values: Sequence[Any], names: Sequence[str]) -> VersionRow:
    """One VersionRow from column ``values`` named ``names`` (``alias_names`` last)."""
    fields = dict(zip(names, values, strict=True))
    joined = fields.pop("alias_names")
    fields["aliases"] = tuple(sorted(joined.split(","))) if joined else ()
    return VersionRow(**fields)


def _version_values(row: NewVersionRow) -> dict[str, Any]:
    return {
        "model": row.model,
        "major": row.key[0],
        "minor": row.key[1],
        "patch": row.key[2],
        "status": row.status,
        "run_id": row.run_id,
        "family": row.family,
        "signature": row.signature,
        "signature_digest": row.signature_digest,
        "model_digest": row.model_digest,
        "model_uri": row.model_uri,
        "meta_digest": row.meta_digest,
        "holdout_digest": row.holdout_digest,
        "metrics": _json(row.metrics),
        "baseline_metrics": _json(row.baseline_metrics),
        "tags": _json(row.tags),
        "data_fingerprint": row.data_fingerprint,
        "config_hash": row.config_hash,
        "code_version": row.code_version,
        "description": row.description,
        "created_at": row.created_at,
        "created_by": row.created_by,
    }


def _event_values(row: NewEventRow) -> dict[str, Any]:
    return {
        "model": row.model,
        "kind": row.kind,
        "alias": row.alias,
        "from_version": row.from_version,
        "to_version": row.to_version,
        "from_status": row.from_status,
        "to_status": row.to_status,
        "actor": row.actor,
        "reason": row.reason,
        "at": row.at,
        "batch_id": row.batch_id,
    }


def _chunks(items: Sequence[T]) -> Iterator[list[T]]:
    # Bound parameters per IN (...) list stay far below SQLite's and PostgreSQL's limits.
    for start in range(0, len(items), IN_CHUNK):
        yield list(items[start : start + IN_CHUNK])


def _number(value: float) -> float | None:
    # SQLite cannot store NaN (it becomes NULL anyway); NULL matches no metric threshold.
    return None if math.isnan(value) else value


def _json(value: Mapping[str, Any]) -> str:
    # Sorted keys: the same content always gives the same text. NaN is written as NaN, which
    # Python's json reads back; these columns are only ever read by modelfleet.
    return json.dumps(dict(value), sort_keys=True, separators=(",", ":"))
