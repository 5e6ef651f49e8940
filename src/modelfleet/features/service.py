"""The feature store: one set of view definitions, read offline for training, online for serving.

::

    store = FeatureStore([view], online_url="sqlite:///online.db")
    train = store.get_historical_features(entity_frame, ["sales:lag_7"], timestamp="ts")
    store.materialize()
    row = store.get_online_features({"store": [1]}, ["sales:lag_7"])

Offline retrieval and materialization run the same compiled SQL, so a feature is computed one
way for both paths; online lookups apply the TTL the way the ``ASOF`` join does offline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb
import pyarrow as pa

from modelfleet.config.feature_blocks import FeatureViewSpec, OnDemandFeatureSpec
from modelfleet.config.spec import FleetSpec
from modelfleet.data.canonical import TENANT_COLUMN
from modelfleet.data.ingest import load_fleet_data
from modelfleet.errors import FeatureError
from modelfleet.features.clock import from_micros, to_micros
from modelfleet.features.compile import CompiledView, compile_view
from modelfleet.features.frames import EntityFrame, as_entities, request_columns, restore_types
from modelfleet.features.materialize import MaterializationResult, materialize_view
from modelfleet.features.offline import (
    ViewSelection,
    check_entities,
    entity_relation,
    entity_types,
    retrieval_sql,
    run_retrieval,
)
from modelfleet.features.on_demand import (
    apply_on_demand,
    bare_aliases,
    check_on_demand,
    open_duckdb,
)
from modelfleet.features.online.base import OnlineStore, ViewKey
from modelfleet.features.online_read import entity_keys, read_selection
from modelfleet.features.refs import Refs, resolve_refs

FLEET_SOURCE = "fleet"
FLEET_TENANT = "tenant"  # the tenant key's column name in the 'fleet' source


@dataclass(frozen=True)
class ViewStatus:
    """A view's definition summary and what the online store holds for its current version."""

    name: str
    version: str
    entities: tuple[str, ...]
    features: tuple[str, ...]
    ttl: timedelta | None
    materialized_rows: int | None
    watermark: datetime | None


class FeatureStore:
    """Feature views plus an online store; DuckDB does the offline work in bounded memory."""

    def __init__(
        self,
        views: Sequence[FeatureViewSpec],
        *,
        on_demand: Sequence[OnDemandFeatureSpec] = (),
        online_url: str | None = None,
        online_store: OnlineStore | None = None,
        tables: Mapping[str, pa.Table] | None = None,
        base_dir: str | Path = ".",
        memory_limit: str = "1GB",
        temp_directory: str | Path | None = None,
    ) -> None:
        names = [v.name for v in views]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise FeatureError(f"feature view names must be unique; repeated: {dupes}")
        self._views = {v.name: v for v in views}
        self._on_demand = tuple(on_demand)
        self._online_url = online_url
        self._online = online_store
        self._tables = dict(tables or {})
        self._base_dir = Path(base_dir)
        self._config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": memory_limit
        }
        if temp_directory is not None:
            self._config["temp_directory"] = str(temp_directory)
        self._online_compiled: dict[str, CompiledView] = {}
        self._refs_cache: dict[tuple[tuple[str, ...] | None, bool], Refs] = {}

    @classmethod
    def from_spec(
        cls,
        spec: FleetSpec,
        *,
        online_url: str | None = None,
        now: datetime | None = None,
        **options: Any,
    ) -> FeatureStore:
        """The feature store a fleet spec declares; views over 'fleet' read its loaded data."""
        tables: dict[str, pa.Table] = dict(options.pop("tables", {}) or {})
        if any(v.source == FLEET_SOURCE for v in spec.feature_views) and FLEET_SOURCE not in tables:
            tables[FLEET_SOURCE] = fleet_source_table(spec, now=now)
        return cls(
            spec.feature_views,
            on_demand=spec.on_demand_features,
            online_url=online_url,
            tables=tables,
            base_dir=spec.base_dir,
            **options,
        )

    # ------------------------------------------------------------------ definitions
    @property
    def views(self) -> tuple[FeatureViewSpec, ...]:
        """The views, in declaration order."""
        return tuple(self._views.values())

    @property
    def on_demand(self) -> tuple[OnDemandFeatureSpec, ...]:
        """The on-demand features."""
        return self._on_demand

    def view(self, name: str) -> FeatureViewSpec:
        """One view by name, or an error listing the known ones."""
        try:
            return self._views[name]
        except KeyError:
            raise FeatureError(
                f"no feature view named {name!r}; known views: {sorted(self._views)}"
            ) from None

    def _connect(self) -> duckdb.DuckDBPyConnection:
        return open_duckdb(self._config)

    # ------------------------------------------------------------------ offline
    def get_historical_features(
        self,
        entities: EntityFrame,
        features: Sequence[str] | None = None,
        *,
        timestamp: str = "event_timestamp",
        full_names: bool = False,
        output: str | Path | None = None,
    ) -> pa.Table | None:
        """Each entity row with every asked feature as of its ``timestamp`` (never later).

        ``features`` are ``view:feature``, ``view:*`` or on-demand names (all when None).
        With ``output`` the rows stream to that Parquet file and None is returned.
        """
        refs = resolve_refs(features, self._views, self._on_demand, full_names=full_names)
        con = self._connect()
        try:
            frame = as_entities(entities)
            relation = entity_relation(con, frame)
            types = entity_types(con, relation)
            selections = [
                ViewSelection(
                    compile_view(con, self._views[r.view], self._tables, self._base_dir),
                    r.features,
                    r.output_names,
                )
                for r in refs.views
            ]
            as_of = check_entities(types, timestamp, selections)
            sql = retrieval_sql(relation, as_of, selections)
            if refs.on_demand:
                aliases = _aliases(refs, list(types))
                check_on_demand(con, f"({sql})", refs.on_demand, aliases)
                sql = retrieval_sql(relation, as_of, selections, refs.on_demand, aliases)
            table = run_retrieval(con, sql, output=Path(output) if output else None)
            return None if table is None else restore_types(table, frame)
        finally:
            con.close()

    # ------------------------------------------------------------------ online
    def online_store(self) -> OnlineStore:
        """The online store, opened on first use."""
        if self._online is None:
            if self._online_url is None:
                raise FeatureError(
                    "this feature store has no online store: pass online_url= (e.g. "
                    "sqlite:///online.db or redis://127.0.0.1:6379/0)"
                )
            # Imported here: the training path never needs an online backend.
            from modelfleet.features.online.backends import open_online_store

            self._online = open_online_store(self._online_url)
        return self._online

    def materialize(
        self,
        views: Sequence[str] | None = None,
        *,
        end: datetime | None = None,
        full: bool = False,
        progress: Callable[[str, int], None] | None = None,
    ) -> list[MaterializationResult]:
        """Write each view's latest values up to ``end`` (now) to the online store.

        Incremental by default: only events after the view version's watermark are read.
        """
        until = end or datetime.now(UTC)
        store = self.online_store()
        marks = {(m.name, m.version): m.watermark for m in store.views()}
        results = []
        for name in views or list(self._views):
            view = self.view(name)
            mark = None if full else marks.get((view.name, view.version))
            since = None if mark is None else from_micros(mark, aware=True)
            con = self._connect()
            try:
                compiled = compile_view(
                    con, view, self._tables, self._base_dir, since=since, until=until
                )
                results.append(
                    materialize_view(
                        con, compiled, store, since=since, until=until, progress=progress
                    )
                )
            finally:
                con.close()
        return results

    def _compiled_for_online(self, name: str) -> CompiledView:
        compiled = self._online_compiled.get(name)
        if compiled is None:
            con = self._connect()
            try:
                compiled = compile_view(
                    con, self.view(name), self._tables, self._base_dir, check_ties=False
                )
            finally:
                con.close()
            self._online_compiled[name] = compiled
        return compiled

    def _online_refs(self, features: Sequence[str] | None, full_names: bool) -> Refs:
        """Resolved references, cached: a serving loop asks for the same list every time."""
        key = (None if features is None else tuple(features), full_names)
        refs = self._refs_cache.get(key)
        if refs is None:
            refs = resolve_refs(features, self._views, self._on_demand, full_names=full_names)
            if len(self._refs_cache) < 256:
                self._refs_cache[key] = refs
        return refs

    def get_online_features(
        self,
        entities: Mapping[str, Sequence[object]] | pa.Table,
        features: Sequence[str] | None = None,
        *,
        now: datetime | None = None,
        full_names: bool = False,
    ) -> pa.Table:
        """The request's entity columns plus each asked feature's latest value at ``now``."""
        columns = request_columns(entities)
        refs = self._online_refs(features, full_names)
        now_micros = to_micros(now or datetime.now(UTC))
        store = self.online_store()
        out: dict[str, pa.Array | list[object]] = dict(columns)
        for ref in refs.views:
            compiled = self._compiled_for_online(ref.view)
            selection = ViewSelection(compiled, ref.features, ref.output_names)
            keys = entity_keys(columns, compiled)
            arrays = read_selection(store, selection, keys, now_micros)
            clash = sorted(set(ref.output_names) & set(out))
            if clash:
                raise FeatureError(
                    f"{compiled.owner}: features {clash} have the same names as request "
                    "columns; rename the columns or ask for full names (view__feature)"
                )
            out.update(zip(ref.output_names, arrays, strict=True))
        table = pa.table(out)
        if refs.on_demand:
            table = apply_on_demand(table, refs.on_demand, _aliases(refs, list(columns)))
        return table

    def status(self) -> list[ViewStatus]:
        """Every view with what the online store holds for its current version."""
        held = {}
        if self._online is not None or self._online_url is not None:
            held = {(m.name, m.version): m for m in self.online_store().views()}
        statuses = []
        for view in self._views.values():
            mark = held.get((view.name, view.version))
            statuses.append(
                ViewStatus(
                    name=view.name,
                    version=view.version,
                    entities=view.entities,
                    features=view.feature_names,
                    ttl=view.ttl,
                    materialized_rows=None if mark is None else mark.rows,
                    watermark=None
                    if mark is None or mark.watermark is None
                    else from_micros(mark.watermark, aware=True),
                )
            )
        return statuses

    def drop_online(self, name: str) -> None:
        """Delete the online rows of a view's current version."""
        view = self.view(name)
        self.online_store().drop(ViewKey(view.name, view.version))

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Close the online store if this object opened it."""
        if self._online is not None and self._online_url is not None:
            self._online.close()
            self._online = None

    def __enter__(self) -> FeatureStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def fleet_source_table(spec: FleetSpec, *, now: datetime | None = None) -> pa.Table:
    """The fleet's validated data as a view source: canonical columns plus ``tenant``."""
    return as_fleet_source(load_fleet_data(spec, now=now).table)


def as_fleet_source(table: pa.Table) -> pa.Table:
    """Fleet data as the 'fleet' source of views: the internal tenant column named ``tenant``."""
    return table.rename_columns(
        [FLEET_TENANT if c == TENANT_COLUMN else c for c in table.column_names]
    )


def _aliases(refs: Refs, taken: Sequence[str]) -> dict[str, str]:
    """Bare names on-demand expressions may use for features output under full names."""
    pairs = [
        (bare, column)
        for ref in refs.views
        for bare, column in zip(ref.features, ref.output_names, strict=True)
    ]
    return bare_aliases(pairs, taken)
