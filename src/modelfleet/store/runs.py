"""Queries on tenant runs and everything recorded with them.

Writes are ``executemany`` over Core inserts, one statement per table per batch, inside the
caller's transaction. Reads fetch the run rows first and then each child table once per chunk
of run ids, so listing N runs costs a fixed number of queries, not N of them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, Final, TypeVar

from sqlalchemy import Connection, Row, Select, Table, insert, select

from modelfleet.store.registry.schema import model_versions
from modelfleet.store.rows import (
    COMPLETED_RUN_STATUSES,
    ArtifactRow,
    FindingRow,
    LineageRow,
    MetricRow,
    ParamRow,
    RunBundle,
    RunQuery,
    RunRow,
    TrialRow,
)
from modelfleet.store.schema import artifacts, findings, lineage, metrics, params, runs, trials

# Bound parameters per IN (...) list: far below SQLite's 32,766 and PostgreSQL's 65,535.
IN_CHUNK: Final = 500

T = TypeVar("T")


def insert_bundles(connection: Connection, bundles: Sequence[RunBundle]) -> None:
    """Insert runs and all their child rows with one executemany per table."""
    if not bundles:
        return
    connection.execute(insert(runs), [_run_values(bundle.run) for bundle in bundles])
    children: dict[Table, list[dict[str, Any]]] = defaultdict(list)
    for bundle in bundles:
        run_id = bundle.run.id
        children[params].extend(
            {"run_id": run_id, "key": p.key, "value": p.value, "value_type": p.value_type}
            for p in bundle.params
        )
        children[metrics].extend(
            {"run_id": run_id, "scope": m.scope, "key": m.key, "step": m.step, "value": m.value}
            for m in bundle.metrics
        )
        children[artifacts].extend(
            {
                "run_id": run_id,
                "name": a.name,
                "position": position,
                "kind": a.kind,
                "digest": a.digest,
                "uri": a.uri,
                "size_bytes": a.size_bytes,
            }
            for position, a in enumerate(bundle.artifacts)
        )
        children[lineage].extend(
            {"run_id": run_id, "key": item.key, "value": item.value} for item in bundle.lineage
        )
        children[findings].extend(
            {
                "run_id": run_id,
                "position": position,
                "check_name": f.check,
                "severity": f.severity,
                "column_name": f.column,
                "count": f.count,
                "message": f.message,
                "examples": f.examples,
            }
            for position, f in enumerate(bundle.findings)
        )
        children[trials].extend(
            {
                "run_id": run_id,
                "number": t.number,
                "value": t.value,
                "state": t.state,
                "params": t.params,
            }
            for t in bundle.trials
        )
    for table, values in children.items():
        if values:
            connection.execute(insert(table), values)


def _run_values(row: RunRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "fleet_run_id": row.fleet_run_id,
        "fleet": row.fleet,
        "tenant": row.tenant,
        "environment": row.environment,
        "status": row.status,
        "task_key": row.task_key,
        "config_hash": row.config_hash,
        "data_fingerprint": row.data_fingerprint,
        "model_family": row.model_family,
        "code_version": row.code_version,
        "reason": row.reason,
        "started_at": row.started_at,
        "finished_at": row.finished_at,
        "duration_seconds": row.duration_seconds,
        "signature": row.signature,
    }


def select_completed_task_keys(
    connection: Connection,
    fleet: str,
    environment: str,
    task_keys: Collection[str],
    statuses: Collection[str] = COMPLETED_RUN_STATUSES,
) -> set[str]:
    """Those of ``task_keys`` that already have a run ending in one of ``statuses``.

    By default succeeded or rejected (resume support); ``{"failed"}`` finds tasks whose failure
    is already on record, so a re-run does not record the same failure again.
    """
    found: set[str] = set()
    for chunk in _chunks(sorted(set(task_keys)), IN_CHUNK):
        statement = (
            select(runs.c.task_key)
            .distinct()
            .where(
                runs.c.task_key.in_(chunk),
                runs.c.status.in_(sorted(statuses)),
                runs.c.fleet == fleet,
                runs.c.environment == environment,
            )
        )
        found.update(connection.execute(statement).scalars())
    return found


def select_unregistered_run_ids(
    connection: Connection, fleet: str, environment: str, task_keys: Collection[str]
) -> list[str]:
    """Succeeded runs among ``task_keys`` that no model version points at (resume repair)."""
    found: list[str] = []
    for chunk in _chunks(sorted(set(task_keys)), IN_CHUNK):
        registered = select(model_versions.c.id).where(model_versions.c.run_id == runs.c.id)
        statement = select(runs.c.id).where(
            runs.c.task_key.in_(chunk),
            runs.c.status == "succeeded",
            runs.c.fleet == fleet,
            runs.c.environment == environment,
            ~registered.exists(),
        )
        found.extend(connection.execute(statement).scalars())
    return sorted(found)


def select_runs(connection: Connection, query: RunQuery) -> list[RunRow]:
    """Run rows matching the query, newest first (ties broken by id for a stable order)."""
    statement: Select[Any] = select(runs)
    filters = {
        "fleet": query.fleet,
        "tenant": query.tenant,
        "status": query.status,
        "environment": query.environment,
        "fleet_run_id": query.fleet_run_id,
    }
    for column, value in filters.items():
        if value is not None:
            statement = statement.where(runs.c[column] == value)
    statement = statement.order_by(runs.c.started_at.desc(), runs.c.id.desc())
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return [RunRow(**row._mapping) for row in connection.execute(statement)]


def select_run(connection: Connection, run_id: str) -> RunRow | None:
    """One run row by exact id, or None."""
    row = connection.execute(select(runs).where(runs.c.id == run_id)).first()
    return None if row is None else RunRow(**row._mapping)


def find_run_ids(
    connection: Connection, run_id_or_prefix: str, *, allow_prefix: bool, limit: int = 2
) -> list[str]:
    """The id equal to the argument, or else up to ``limit`` ids starting with it."""
    exact = connection.execute(select(runs.c.id).where(runs.c.id == run_id_or_prefix)).scalar()
    if exact is not None:
        return [str(exact)]
    if not allow_prefix:
        return []
    statement = (
        select(runs.c.id)
        .where(runs.c.id.startswith(run_id_or_prefix, autoescape=True))
        .order_by(runs.c.id)
        .limit(limit)
    )
    return [str(run_id) for run_id in connection.execute(statement).scalars()]


# Child rows come back in the order they were recorded (or their natural key order).
_CHILD_ORDER: Mapping[Table, tuple[str, ...]] = {
    params: ("key",),
    metrics: ("scope", "key", "step"),
    artifacts: ("position",),
    lineage: ("key",),
    findings: ("position",),
    trials: ("number",),
}


def load_bundles(connection: Connection, run_rows: Sequence[RunRow]) -> list[RunBundle]:
    """Attach every child row to its run, querying each child table once per chunk of ids."""
    grouped: dict[Table, dict[str, list[Row[Any]]]] = {}
    for table, order in _CHILD_ORDER.items():
        by_run: dict[str, list[Row[Any]]] = defaultdict(list)
        for chunk in _chunks([row.id for row in run_rows], IN_CHUNK):
            statement = (
                select(table)
                .where(table.c.run_id.in_(chunk))
                .order_by(table.c.run_id, *(table.c[name] for name in order))
            )
            for row in connection.execute(statement):
                by_run[row.run_id].append(row)
        grouped[table] = by_run
    return [_bundle(run_row, grouped) for run_row in run_rows]


def _bundle(run_row: RunRow, grouped: Mapping[Table, Mapping[str, list[Row[Any]]]]) -> RunBundle:
    def rows(table: Table) -> list[Row[Any]]:
        return list(grouped[table].get(run_row.id, ()))

    return RunBundle(
        run=run_row,
        params=tuple(ParamRow(r.key, r.value, r.value_type) for r in rows(params)),
        metrics=tuple(
            MetricRow(r.key, _float(r.value), scope=r.scope, step=r.step) for r in rows(metrics)
        ),
        artifacts=tuple(
            ArtifactRow(r.name, r.kind, r.digest, r.uri, r.size_bytes) for r in rows(artifacts)
        ),
        lineage=tuple(LineageRow(r.key, r.value) for r in rows(lineage)),
        findings=tuple(
            FindingRow(
                r.check_name,
                r.severity,
                r.column_name,
                r._mapping["count"],  # Row.count is tuple.count, not the column
                r.message,
                r.examples,
            )
            for r in rows(findings)
        ),
        trials=tuple(TrialRow(r.number, _float(r.value), r.state, r.params) for r in rows(trials)),
    )


def _float(value: float | None) -> float:
    # SQLite stores NaN as NULL; NULL only ever means NaN in these columns.
    return math.nan if value is None else float(value)


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def select_artifact_digests(
    connection: Connection, run_ids: Sequence[str], name: str
) -> dict[str, str]:
    """run id -> digest of its artifact called ``name``, for the runs that have one."""
    found: dict[str, str] = {}
    for chunk in _chunks(list(dict.fromkeys(run_ids)), IN_CHUNK):
        statement = select(artifacts.c.run_id, artifacts.c.digest).where(
            artifacts.c.run_id.in_(chunk), artifacts.c.name == name
        )
        found.update((row.run_id, row.digest) for row in connection.execute(statement))
    return found
