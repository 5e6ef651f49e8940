"""The fleet pipeline's training rows, read from the feature store point-in-time correct.

The spec's ``features`` block becomes a feature view over the fleet's own data (the target's
history per tenant: lags and rolling statistics as known at each event) plus on-demand calendar
features of the target time. Each training row at time t is joined *as of its forecast origin*
t - horizon, so every target-derived value was known when the forecast would have been made;
covariates (known ahead) come from the row itself, and views named in ``features.views`` join
as of the origin too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.config.blocks import PERIOD_DAYS
from modelfleet.config.feature_blocks import (
    FeatureSpec,
    FeatureViewSpec,
    LagSpec,
    OnDemandFeatureSpec,
    RollingWindowSpec,
)
from modelfleet.config.spec import FeaturesSpec, FleetSpec, Frequency
from modelfleet.data.canonical import TENANT_COLUMN
from modelfleet.features.compile import CALENDAR_SQL
from modelfleet.features.service import FLEET_SOURCE, FLEET_TENANT, FeatureStore, as_fleet_source
from modelfleet.features.sources import quote

HISTORY_VIEW = "target_history"
ORIGIN_COLUMN = "__mf_origin"


@dataclass(frozen=True)
class FeatureSet:
    """The feature table of a fleet and which of its columns are model inputs."""

    table: pa.Table
    timestamp: str
    target: str
    feature_columns: tuple[str, ...]
    categorical: tuple[str, ...]
    view_versions: tuple[tuple[str, str], ...] = ()


def history_view(
    features: FeaturesSpec, *, timestamp: str, target: str, horizon: int, frequency: Frequency
) -> FeatureViewSpec | None:
    """The target-history view of a features block (None when it has no lags or windows).

    A spec lag of k periods at target time t is y(t - k); joined as of the origin t - h it is
    the value (k - h) periods before the origin. Windows end at the origin.
    """
    step = timedelta(days=PERIOD_DAYS[frequency])
    specs: list[FeatureSpec] = []
    for lag in sorted(set(features.lags)):
        specs.append(
            FeatureSpec(name=f"lag_{lag}", lag=LagSpec(column=target, by=(lag - horizon) * step))
        )
    for rolling in features.rolling:
        for stat in rolling.stats:
            specs.append(
                FeatureSpec(
                    name=f"roll_{rolling.window}_{stat}",
                    rolling=RollingWindowSpec(
                        column=target, window=rolling.window * step, agg=stat
                    ),
                )
            )
    if not specs:
        return None
    longest = max([*features.lags, *(r.window for r in features.rolling)])
    return FeatureViewSpec(
        name=HISTORY_VIEW,
        entities=(TENANT_COLUMN,),
        timestamp=timestamp,
        source=HISTORY_VIEW,
        # A state older than the longest history any feature reads is no state at all.
        ttl=longest * step,
        features=tuple(specs),
    )


def calendar_features(features: FeaturesSpec, *, timestamp: str) -> tuple[OnDemandFeatureSpec, ...]:
    """Calendar parts of the target time, computed from the row itself (known ahead)."""
    return tuple(
        OnDemandFeatureSpec(
            name=f"cal_{name}",
            expr=CALENDAR_SQL[name].format(ts=f"CAST({quote(timestamp)} AS TIMESTAMP)"),
        )
        for name in features.calendar
    )


def _forecast_store(
    spec: FleetSpec,
    block: FeaturesSpec,
    *,
    horizon: int,
    frequency: Frequency,
    history_source: pa.Table,
    fleet_table: pa.Table,
    online_url: str | None = None,
) -> FeatureStore:
    """The target-history view, the user views training reads and the calendar features."""
    schema = spec.data_schema
    history = history_view(
        block,
        timestamp=schema.timestamp,
        target=schema.target,
        horizon=horizon,
        frequency=frequency,
    )
    views = [v for v in spec.feature_views if _wanted(v.name, block.views)]
    tables = {HISTORY_VIEW: history_source}
    if views:
        tables[FLEET_SOURCE] = as_fleet_source(fleet_table)
    return FeatureStore(
        [*([history] if history else []), *views],
        on_demand=calendar_features(block, timestamp=schema.timestamp),
        online_url=online_url,
        tables=tables,
        base_dir=spec.base_dir,
    )


def build_forecast_features(
    data: pa.Table,
    spec: FleetSpec,
    *,
    frequency: Frequency,
    features: FeaturesSpec | None = None,
    horizon: int | None = None,
    fleet_table: pa.Table | None = None,
) -> FeatureSet:
    """Every row of ``data`` (all tenants) with its features, via offline retrieval.

    ``features``/``horizon`` default to the spec's (a tenant group's override may differ);
    ``fleet_table`` is the whole fleet's data, the 'fleet' source of user views.
    """
    block = features or spec.features
    h = horizon if horizon is not None else spec.validation.horizon
    ts, target = spec.data_schema.timestamp, spec.data_schema.target
    store = _forecast_store(
        spec,
        block,
        horizon=h,
        frequency=frequency,
        history_source=data,
        fleet_table=fleet_table if fleet_table is not None else data,
    )
    step = timedelta(days=PERIOD_DAYS[frequency])
    entity = _entity_frame(data, ts, h * step)
    history = [f"{HISTORY_VIEW}:*"] if HISTORY_VIEW in {v.name for v in store.views} else []
    refs = [*history, *block.views, *(c.name for c in store.on_demand)]
    table = store.get_historical_features(entity, refs, timestamp=ORIGIN_COLUMN)
    assert table is not None  # no output path given
    names = [n for n in table.column_names if n not in set(entity.column_names)]
    columns = (*names, *block.covariates)
    ordered = table.select([TENANT_COLUMN, ts, target, *columns])
    if not _sorted_by_tenant_and_time(ordered, ts):  # the loader's output already is
        ordered = ordered.sort_by([(TENANT_COLUMN, "ascending"), (ts, "ascending")])
    return FeatureSet(
        table=ordered,
        timestamp=ts,
        target=target,
        feature_columns=tuple(columns),
        categorical=tuple(block.categorical),
        view_versions=tuple((v.name, v.version) for v in store.views),
    )


def forecast_feature_store(
    spec: FleetSpec,
    fleet_table: pa.Table,
    *,
    frequency: Frequency,
    online_url: str | None = None,
) -> FeatureStore:
    """The store serving reads: the fleet's target-history view and its user views, keyed by
    tenant, so online values are the ones training joined as of a forecast origin."""
    return _forecast_store(
        spec,
        spec.features,
        horizon=spec.validation.horizon,
        frequency=frequency,
        history_source=fleet_table,
        fleet_table=fleet_table,
        online_url=online_url,
    )


def _sorted_by_tenant_and_time(table: pa.Table, timestamp: str) -> bool:
    """Whether rows are ordered by tenant, then time (vectorised; far cheaper than a sort)."""
    if table.num_rows < 2:
        return True
    tenant = pc.cast(table[TENANT_COLUMN], pa.string()).combine_chunks()
    stamps = table[timestamp].combine_chunks()
    head, tail = tenant.slice(0, len(tenant) - 1), tenant.slice(1)
    later = pc.greater(tail, head)
    same = pc.equal(tail, head)
    forward = pc.greater_equal(stamps.slice(1), stamps.slice(0, len(stamps) - 1))
    ok = pc.or_(later, pc.and_(same, forward))
    return bool(pc.all(pc.fill_null(ok, False)).as_py())


def _wanted(view: str, refs: Sequence[str]) -> bool:
    return any(ref.partition(":")[0] == view for ref in refs)


def _entity_frame(data: pa.Table, timestamp: str, shift: timedelta) -> pa.Table:
    """The rows to score, each with the origin its features are read as of."""
    stamps = pc.cast(data[timestamp], pa.timestamp("us"))
    origin = pc.subtract(stamps, pa.scalar(shift, pa.duration("us")))
    table = data.append_column(ORIGIN_COLUMN, origin)
    if FLEET_TENANT not in table.column_names:
        table = table.append_column(FLEET_TENANT, data[TENANT_COLUMN])
    return table
