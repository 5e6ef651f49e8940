"""The candidates of one tenant: fitted on its windows, scored, and saved as packages.

The per-tenant model and the baseline are fitted here, in the worker; the pooled model's
predictions arrive with the task (:class:`~modelfleet.pipeline.pooled.PooledCandidate`).
Tuning searches an inner split of the **fit** rows only, so neither the validation window nor
the holdout ever reaches it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from modelfleet.artifacts import open_artifact_store
from modelfleet.config.spec import FleetSpec
from modelfleet.errors import TrainingError
from modelfleet.pipeline.windows import TenantSplit
from modelfleet.tracking.records import ArtifactRecord, ParamValue, TrialRecord
from modelfleet.training.families import Estimator, ModelFamily, resolve_family
from modelfleet.training.frames import HOLDOUT_TARGET, HOLDOUT_TIMESTAMP, FeatureFrame
from modelfleet.training.package import ModelPackage, PackageMetadata
from modelfleet.training.package_meta import metadata_to_json
from modelfleet.training.profiles import PROFILE_ARTIFACT, build_profile, profile_to_json
from modelfleet.training.tuning import ParamRange, default_space, tune


def fit_baseline(spec: FleetSpec, frame: FeatureFrame, target: np.ndarray) -> Estimator:
    """The spec's baseline fitted on ``frame`` (its season from the spec)."""
    baseline = resolve_family(spec.baseline_family)
    params = {"season": spec.baseline.season} if spec.baseline_family == "seasonal_naive" else {}
    return baseline.fit(frame, target, spec.task, params)


def baseline_meta(spec: FleetSpec, meta: PackageMetadata) -> PackageMetadata:
    """The per-tenant metadata relabelled for a baseline package: same inputs and signature,
    so a baseline version scores (and is scored on) the same holdout rows as a model."""
    return replace(meta, family=spec.baseline_family)


def _inner_split(
    frame: FeatureFrame, target: np.ndarray, horizon: int
) -> tuple[FeatureFrame, np.ndarray, FeatureFrame, np.ndarray]:
    """Tuning's own split of the fit rows: their last ``horizon`` periods validate a trial."""
    cut = frame.timestamps.max() - horizon * frame.period
    fit_mask, valid_mask = frame.timestamps <= cut, frame.timestamps > cut
    if not fit_mask.any() or not valid_mask.any():
        raise TrainingError(
            "too little history before the validation window to tune; disable tuning, lower "
            "validation.window or add data"
        )

    def part(mask: np.ndarray) -> FeatureFrame:
        return FeatureFrame(
            frame.features.filter(pa.array(mask)),
            frame.timestamps[mask],
            frame.categorical,
            frame.period,
        )

    return part(fit_mask), target[fit_mask], part(valid_mask), target[valid_mask]


def _space(spec: FleetSpec) -> dict[str, ParamRange]:
    if not spec.tuning.space:
        return dict(default_space(spec.model.family))
    return {
        name: ParamRange(low=r.low, high=r.high, log=r.log, kind=r.kind, choices=tuple(r.choices))
        for name, r in spec.tuning.space.items()
    }


def tune_params(
    spec: FleetSpec, split: TenantSplit, family: ModelFamily, params: Mapping[str, Any]
) -> tuple[dict[str, Any], list[TrialRecord]]:
    """Search the spec's space on an inner split of the fit rows: best params, trials."""
    fit_frame, y_fit, valid_frame, y_valid = _inner_split(
        split.fit, split.y_fit, spec.validation.horizon
    )
    result = tune(
        family,
        fit_frame,
        y_fit,
        valid_frame,
        y_valid,
        spec.task,
        params,
        _space(spec),
        spec.tuning.metric or spec.gate_metric,
        spec.tuning.trials,
        spec.tuning.timeout_seconds,
        spec.tuning.seed,
    )
    trials = [
        TrialRecord(
            number=t.number,
            value=float("nan") if t.value is None else t.value,
            params=dict(t.params),
            state=t.state,
        )
        for t in result.trials
    ]
    return {**params, **result.best_params}, trials


def flat_params(prefix: str, params: Mapping[str, Any]) -> dict[str, ParamValue]:
    """``params`` as flat run params under ``prefix`` (non-scalars as JSON text)."""
    flat: dict[str, ParamValue] = {}
    for key, value in params.items():
        if isinstance(value, str | int | float | bool) or value is None:
            flat[f"{prefix}.{key}"] = value
        else:
            flat[f"{prefix}.{key}"] = json.dumps(value, sort_keys=True, default=str)
    return flat


def holdout_bytes(features: pa.Table, timestamps: np.ndarray, target: np.ndarray) -> bytes:
    """The holdout rows as Parquet (encoded features, timestamp, target) for later re-scoring.

    Promotion compares a candidate with the version live in an environment *on the same
    holdout*; keeping the rows with the run makes that possible without re-reading the data.
    The features are encoded in the vocabulary of the package registered with the run.
    """
    table = features.append_column(
        HOLDOUT_TIMESTAMP, pa.array(timestamps.astype("datetime64[us]"))
    ).append_column(HOLDOUT_TARGET, pa.array(target, pa.float64()))
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def _holdout_record(artifacts_url: str, blob: bytes) -> ArtifactRecord:
    ref = open_artifact_store(artifacts_url).put_bytes(blob)
    return ArtifactRecord("holdout", "parquet", ref.digest, ref.uri, ref.size_bytes)


def save_package(
    artifacts_url: str, package: ModelPackage, split: TenantSplit
) -> list[ArtifactRecord]:
    """Write a fitted package (estimator + metadata) and the holdout rows it encodes."""
    store = open_artifact_store(artifacts_url)
    refs = package.save(store)
    model, meta = refs.model, refs.meta
    holdout = split.holdout
    return [
        ArtifactRecord("model", package.meta.family, model.digest, model.uri, model.size_bytes),
        ArtifactRecord("model_meta", "json", meta.digest, meta.uri, meta.size_bytes),
        _holdout_record(
            artifacts_url, holdout_bytes(holdout.features, holdout.timestamps, split.y_holdout)
        ),
    ]


def save_shared(
    artifacts_url: str, meta: PackageMetadata, model: ArtifactRecord, split: TenantSplit
) -> list[ArtifactRecord]:
    """Write a pooled tenant's metadata pointing at the shared booster ``model`` (already
    stored once for the fleet), and its holdout rows encoded in the pooled vocabulary."""
    store = open_artifact_store(artifacts_url)
    ref = store.put_bytes(metadata_to_json(meta, model.digest))
    encoded = meta.encode(split.raw_holdout())
    return [
        model,
        ArtifactRecord("model_meta", "json", ref.digest, ref.uri, ref.size_bytes),
        _holdout_record(
            artifacts_url, holdout_bytes(encoded, split.holdout.timestamps, split.y_holdout)
        ),
    ]


def save_profile(
    artifacts_url: str,
    meta: PackageMetadata,
    split: TenantSplit,
    holdout_predictions: np.ndarray,
) -> ArtifactRecord:
    """Write the reference profile of the saved package: its training inputs (encoded in its
    own vocabulary, as serving will encode live rows), target and holdout predictions."""
    train = split.rows.filter(pa.array(split.masks.train))
    profile = build_profile(
        fleet=meta.fleet,
        tenant=meta.tenant,
        features=meta.encode(train),
        categorical={name: len(values) for name, values in meta.vocabulary.items()},
        target_name=meta.target,
        target=split.y_train,
        predictions=holdout_predictions,
    )
    ref = open_artifact_store(artifacts_url).put_bytes(profile_to_json(profile))
    return ArtifactRecord(PROFILE_ARTIFACT, "json", ref.digest, ref.uri, ref.size_bytes)
