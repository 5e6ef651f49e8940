"""The pooled stage: one pooled model per fleet run, trained before the tenant tasks.

After features are built, every planned tenant that may use a pooled model (``model.pooled``)
contributes its rows before its validation window to ONE LightGBM fit (targets and target-derived
features divided by the tenant's training mean; tenant attributes as features). One predict
scores every tenant's validation window, which is what the per-tenant choice compares. With
``validation.refit`` a second fit on the rows before the holdout gives the model that is scored
on the holdout and registered. Each tenant's task receives only its own predictions and the
description of its package (:class:`PooledCandidate`), never the booster: the booster is saved
once, content-addressed, and every pooled version points at those same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.artifacts import open_artifact_store
from modelfleet.config.spec import FleetSpec
from modelfleet.data.canonical import TENANT_COLUMN, FleetData
from modelfleet.errors import ConfigError
from modelfleet.features.forecast import FeatureSet
from modelfleet.pipeline.features_stage import TrainingRows
from modelfleet.pipeline.plan import FleetPlan, TenantPlan
from modelfleet.pipeline.windows import (
    WindowMasks,
    grouped_masks,
    known_target,
    period_of,
    window_settings,
)
from modelfleet.tracking.records import ArtifactRecord
from modelfleet.training.package_meta import (
    PackageMetadata,
    PooledInputs,
    build_vocabulary,
    encode_features,
    signature_of,
)

if TYPE_CHECKING:
    from modelfleet.training.pooled import PooledLayout

# "auto" pools only fleets with at least this many tenants: one tenant has nothing to share.
MIN_POOLED_TENANTS = 2


@dataclass(frozen=True, eq=False)
class PooledCandidate:
    """The pooled model's part in one tenant's task: its predictions and its package."""

    valid_pred: np.ndarray  # validation window, from the model fit before it
    holdout_pred: np.ndarray  # holdout, from the registered model (refit or not)
    meta: PackageMetadata  # this tenant's package metadata (pooled vocabulary and inputs)
    model: ArtifactRecord  # the shared booster the package points at


@dataclass(frozen=True, eq=False)
class _Group:
    """The tenants of one feature set that pool together, their rows and windows."""

    tenants: tuple[TenantPlan, ...]
    features: FeatureSet
    table: pa.Table
    codes: np.ndarray
    target: np.ndarray
    masks: WindowMasks


def wants_pooled(spec: FleetSpec) -> bool:
    """Whether a tenant trained with ``spec`` may get a pooled candidate."""
    mode = spec.model.pooled
    if mode == "true" and spec.task != "regression":
        raise ConfigError(
            f"model.pooled: true is set for fleet {spec.name!r} but its task is {spec.task}: the "
            "pooled model scales targets per tenant, which only regression has; set "
            "model.pooled: false (or auto)"
        )
    return mode != "false" and spec.task == "regression"


def pooled_candidates(
    spec: FleetSpec,
    plan: FleetPlan,
    rows: Mapping[str, TrainingRows],
    data: FleetData,
    artifacts_url: str,
) -> dict[str, PooledCandidate]:
    """Train the fleet's pooled model(s) and return each pooled tenant's candidate."""
    eligible = [t for t in plan.train if wants_pooled(t.spec) and t.tenant in rows]
    forced = any(t.spec.model.pooled == "true" for t in eligible)
    if len(eligible) < MIN_POOLED_TENANTS and not forced:
        return {}
    by_set: dict[int, list[TenantPlan]] = {}
    for tenant in eligible:  # tenants whose overrides changed features build their own set
        by_set.setdefault(id(rows[tenant.tenant].features), []).append(tenant)
    result: dict[str, PooledCandidate] = {}
    for tenants in by_set.values():
        group = _group(tenants, rows[tenants[0].tenant].features, plan)
        result.update(_train_group(spec, group, data, plan, artifacts_url))
    return result


def _group(tenants: Sequence[TenantPlan], features: FeatureSet, plan: FleetPlan) -> _Group:
    """The group's rows (sorted by tenant, then time, as the feature set is) and windows.

    Tenant codes follow the rows' order, so each tenant's rows (and predictions) are one
    contiguous run, cut apart by counts.
    """
    names = pa.array([t.tenant for t in tenants])
    table = features.table.filter(pc.is_in(features.table[TENANT_COLUMN], names))
    encoded = pc.dictionary_encode(table[TENANT_COLUMN]).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    by_name = {t.tenant: t for t in tenants}
    ordered = tuple(by_name[name] for name in encoded.dictionary.to_pylist())
    target = known_target(table, features.target)
    stamps = table[features.timestamp].to_numpy().astype("datetime64[ns]")
    masks = grouped_masks(
        codes,
        stamps,
        ~np.isnan(target),
        *window_settings([t.spec for t in ordered], plan.frequency, period_of(plan.frequency)),
    )
    return _Group(ordered, features, table, codes, target, masks)


def _scales(group: _Group, mask: np.ndarray) -> np.ndarray:
    """Each tenant's mean absolute target over ``mask`` rows (1.0 when zero or empty)."""
    count = len(group.tenants)
    codes = group.codes[mask]
    total = np.bincount(codes, weights=np.abs(group.target[mask]), minlength=count)
    rows = np.bincount(codes, minlength=count)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / rows
    return np.where(np.isfinite(mean) & (mean > 0), mean, 1.0)


def _attributes(
    group: _Group, data: FleetData, spec: FleetSpec
) -> tuple[dict[str, np.ndarray], tuple[str, ...]]:
    """Per-tenant static attributes (constant within every tenant), encoded as numbers.

    Returns attribute -> value per tenant (by code) and which of them are categories.
    """
    used = set(group.features.feature_columns)
    candidates = [c for c in spec.data_schema.columns if c not in used]
    if not candidates:
        return {}, ()
    names = pa.array([t.tenant for t in group.tenants])
    table = data.table.filter(pc.is_in(data.table[TENANT_COLUMN], names))
    stats = table.group_by(TENANT_COLUMN).aggregate(
        [(c, "count_distinct") for c in candidates] + [(c, "min") for c in candidates]
    )
    order = pc.index_in(names, stats[TENANT_COLUMN]).to_numpy(zero_copy_only=False)
    values: dict[str, np.ndarray] = {}
    categorical: list[str] = []
    for column in candidates:  # a loop over columns, each vectorised over tenants
        distinct = stats[f"{column}_count_distinct"].to_numpy(zero_copy_only=False)
        if (distinct > 1).any():
            continue  # varies over time in some tenant: a covariate, not an attribute
        first = stats[f"{column}_min"].take(pa.array(order))
        kind = first.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_boolean(kind):
            text = pc.cast(first, pa.string())
            vocab = sorted(pc.unique(text).drop_null().to_pylist())
            codes = pc.index_in(text, value_set=pa.array(vocab, pa.string()))
            values[column] = pc.cast(codes, pa.float64()).to_numpy(zero_copy_only=False)
            categorical.append(column)
        elif pa.types.is_integer(kind) or pa.types.is_floating(kind):
            values[column] = pc.cast(first, pa.float64()).to_numpy(zero_copy_only=False)
    return values, tuple(categorical)


def _fit_predict(
    group: _Group,
    layout: PooledLayout,
    encoded: pa.Table,
    attributes: Mapping[str, np.ndarray],
    params: Mapping[str, object],
    train: np.ndarray,
    predict: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, bytes]:
    """Fit on ``train`` rows, predict ``predict`` rows: (predictions, scales, booster bytes)."""
    # LightGBM loads only when a pooled model is trained, not whenever the runner is imported.
    from modelfleet.training.lightgbm_family import predict_matrix
    from modelfleet.training.pooled import fit_pooled, pooled_matrix

    scales = _scales(group, train)

    def matrix(mask: np.ndarray) -> np.ndarray:
        codes = group.codes[mask]
        per_row = {name: value[codes] for name, value in attributes.items()}
        return pooled_matrix(layout, encoded.filter(pa.array(mask)), scales[codes], per_row)

    scaled_target = group.target[train] / scales[group.codes[train]]
    estimator = fit_pooled(layout, matrix(train), scaled_target, params)
    raw = predict_matrix(estimator, matrix(predict), threads=0)
    predictions = raw * scales[group.codes[predict]]
    return predictions, scales, estimator.to_bytes()


def _train_group(
    spec: FleetSpec, group: _Group, data: FleetData, plan: FleetPlan, artifacts_url: str
) -> dict[str, PooledCandidate]:
    """Fit (and refit) one group's pooled model; every usable tenant's candidate."""
    from modelfleet.training.pooled import FAMILY, PooledLayout, target_derived

    masks, features = group.masks, group.features
    count = len(group.tenants)
    usable = (
        (np.bincount(group.codes[masks.fit], minlength=count) > 0)
        & (np.bincount(group.codes[masks.valid], minlength=count) > 0)
        & (np.bincount(group.codes[masks.holdout], minlength=count) > 0)
    )
    if not usable.any():
        return {}
    columns, categorical = features.feature_columns, features.categorical
    vocab = build_vocabulary(group.table.filter(pa.array(masks.train)), categorical)
    encoded = encode_features(group.table, columns, categorical, vocab)
    attributes, categorical_attributes = _attributes(group, data, spec)
    layout = PooledLayout(
        feature_columns=columns,
        categorical=categorical,
        scaled=target_derived(columns),
        attributes=tuple(attributes),
        categorical_attributes=categorical_attributes,
    )
    params = _params(spec)
    keep = usable[group.codes]
    valid = masks.valid & keep
    holdout = masks.holdout & keep
    # One fit per validation fold (nearest the holdout first), each predicting its own window;
    # the nearest fold's model also predicts the holdout when nothing is refit.
    predicted = np.empty(len(group.codes))
    for number, fold in enumerate(masks.folds):
        scored = fold.valid & keep | (holdout if number == 0 else False)
        values, fold_scales, fold_booster = _fit_predict(
            group, layout, encoded, attributes, params, fold.fit & keep, scored
        )
        predicted[scored] = values
        if number == 0:
            scales, booster = fold_scales, fold_booster
    valid_pred, holdout_pred = predicted[valid], predicted[holdout]
    if spec.validation.refit:
        holdout_pred, scales, booster = _fit_predict(
            group, layout, encoded, attributes, params, masks.train & keep, holdout
        )
    store = open_artifact_store(artifacts_url)
    ref = store.put_bytes(booster)
    model = ArtifactRecord("model", FAMILY, ref.digest, ref.uri, ref.size_bytes)
    signature = signature_of(group.table.schema, columns, categorical, features.target)
    views = features.view_versions
    # Predictions are in tenant order (rows are sorted by tenant): cut them per tenant.
    valid_ends = np.cumsum(np.bincount(group.codes[valid], minlength=count))
    holdout_ends = np.cumsum(np.bincount(group.codes[holdout], minlength=count))
    result: dict[str, PooledCandidate] = {}
    for code, tenant in enumerate(group.tenants):  # one small record per tenant
        if not usable[code]:
            continue
        inputs = PooledInputs(
            scale=float(scales[code]),
            scaled=layout.scaled,
            attributes={
                name: None if np.isnan(value[code]) else float(value[code])
                for name, value in attributes.items()
            },
        )
        meta = PackageMetadata(
            fleet=plan.fleet,
            tenant=tenant.tenant,
            family=FAMILY,
            task=tenant.spec.task,
            frequency=plan.frequency,
            horizon=tenant.spec.validation.horizon,
            timestamp=features.timestamp,
            target=features.target,
            feature_columns=columns,
            categorical=categorical,
            vocabulary=vocab,
            signature=signature,
            feature_views=views,
            pooled=inputs,
        )
        v0 = 0 if code == 0 else int(valid_ends[code - 1])
        h0 = 0 if code == 0 else int(holdout_ends[code - 1])
        result[tenant.tenant] = PooledCandidate(
            valid_pred=valid_pred[v0 : int(valid_ends[code])],
            holdout_pred=holdout_pred[h0 : int(holdout_ends[code])],
            meta=meta,
            model=model,
        )
    return result


def _params(spec: FleetSpec) -> dict[str, object]:
    """The pooled model's LightGBM params: the fleet's lightgbm params, then pooled_params."""
    base = dict(spec.model.params) if spec.model.family == "lightgbm" else {}
    return {**base, **spec.model.pooled_params}
