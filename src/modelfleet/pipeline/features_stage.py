"""The features stage: training rows for the planned tenants, in one pass per feature definition.

Features are built over the planned tenants only, but joins that need the rest of the fleet
(covariates, static attributes, fleet-level aggregates) still see the whole fleet's table, so a
tenant's rows are the same whether it trains alone or with everyone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.config.spec import FleetSpec
from modelfleet.data.canonical import TENANT_COLUMN, FleetData
from modelfleet.features.forecast import FeatureSet, build_forecast_features
from modelfleet.pipeline.plan import FleetPlan, TenantPlan


@dataclass(frozen=True)
class TrainingRows:
    """One tenant's training rows and the feature set (columns, view versions) they came from."""

    features: FeatureSet
    rows: pa.Table


def tenant_slices(table: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """Split a table sorted by tenant into compact per-tenant tables, without a row loop."""
    if table.num_rows == 0:
        return
    encoded = pc.dictionary_encode(table[TENANT_COLUMN]).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(codes)) + 1))
    ends = np.append(starts[1:], len(codes))
    names = encoded.dictionary.to_pylist()
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        # A zero-copy slice spans one or two chunks, so take() stays cheap; it copies the
        # tenant's rows, so a pickled task never drags the whole fleet's buffers along (and no
        # second copy of the whole table is made first).
        yield names[codes[start]], table.slice(start, end - start).take(np.arange(end - start))


def _groups(tenants: tuple[TenantPlan, ...]) -> list[list[TenantPlan]]:
    """Tenants sharing one feature definition (overrides may change features or horizon)."""
    groups: dict[str, list[TenantPlan]] = {}
    for tenant in tenants:
        key = json.dumps(
            [tenant.spec.features.model_dump(mode="json"), tenant.spec.validation.horizon],
            sort_keys=True,
        )
        groups.setdefault(key, []).append(tenant)
    return list(groups.values())


def build_training_rows(
    spec: FleetSpec, data: FleetData, plan: FleetPlan
) -> dict[str, TrainingRows]:
    """Training rows by tenant for every tenant ``plan`` trains, one feature build per group."""
    result: dict[str, TrainingRows] = {}
    for group in _groups(plan.train):
        first = group[0].spec
        ids = pa.array([t.tenant for t in group])
        subset = data.table.filter(pc.is_in(data.table[TENANT_COLUMN], ids))
        features = build_forecast_features(
            subset,
            spec,
            frequency=data.frequency,
            features=first.features,
            horizon=first.validation.horizon,
            fleet_table=data.table,
        )
        for tenant, rows in tenant_slices(features.table):
            result[tenant] = TrainingRows(features, rows)
    return result
