"""The per-tenant pipeline: split, baseline, fit (optionally tuned), evaluate, gate, save.

:func:`train_tenant` runs inside a worker process. It never raises: whatever goes wrong becomes a
``failed`` record with the error, so one tenant's bad luck never stops the fleet. Artifacts are
written before the record is returned; the runner writes the record, so a worker killed midway
leaves at most an unreferenced, content-addressed file behind.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from modelfleet.artifacts import open_artifact_store
from modelfleet.config.blocks import PERIOD_DAYS
from modelfleet.config.spec import FleetSpec, Frequency
from modelfleet.errors import ModelfleetError, TrainingError
from modelfleet.pipeline.task_watch import TaskLimits
from modelfleet.tracking.records import (
    ArtifactRecord,
    FindingRecord,
    ParamValue,
    TenantRunRecord,
    TrialRecord,
)
from modelfleet.training.families import ModelFamily, resolve_family
from modelfleet.training.frames import HOLDOUT_TARGET, HOLDOUT_TIMESTAMP, FeatureFrame
from modelfleet.training.gates import evaluate_gate
from modelfleet.training.metrics import compute_metrics
from modelfleet.training.package import ModelPackage, PackageMetadata
from modelfleet.training.tuning import ParamRange, default_space, tune


@dataclass(frozen=True)
class TenantTask:
    """Everything a worker needs to train one tenant; plain data so it pickles cheaply."""

    run_id: str
    fleet_run_id: str
    fleet: str
    tenant: str
    environment: str
    spec: FleetSpec
    frame: pa.Table
    feature_columns: tuple[str, ...]
    categorical: tuple[str, ...]
    frequency: Frequency
    task_key: str
    config_hash: str
    data_fingerprint: str | None
    code_version: str | None
    artifacts_url: str
    lineage: Mapping[str, str] = field(default_factory=dict)
    findings: tuple[FindingRecord, ...] = ()
    limits: TaskLimits | None = None  # enforced by the process executor's worker guard


@dataclass(frozen=True)
class _Split:
    train: FeatureFrame
    y_train: np.ndarray
    holdout: FeatureFrame
    y_holdout: np.ndarray
    meta: PackageMetadata  # vocabulary from the training rows, signature of the inputs


def _now() -> datetime:
    return datetime.now(UTC)


def _feature_views(lineage: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The feature view versions in a task's lineage (``feature_view.<name>`` -> version)."""
    prefix = "feature_view."
    return tuple(
        (key.removeprefix(prefix), version)
        for key, version in sorted(lineage.items())
        if key.startswith(prefix)
    )


def _describe(task: TenantTask, train_rows: pa.Table) -> PackageMetadata:
    """The package metadata of the model this task trains on ``train_rows``."""
    spec = task.spec
    return PackageMetadata.from_training(
        train_rows,
        fleet=task.fleet,
        tenant=task.tenant,
        family=spec.model.family,
        task=spec.task,
        frequency=task.frequency,
        horizon=spec.validation.horizon,
        timestamp=spec.data_schema.timestamp,
        target=spec.data_schema.target,
        feature_columns=task.feature_columns,
        categorical=task.categorical,
        feature_views=_feature_views(task.lineage),
    )


def split_holdout(task: TenantTask) -> _Split:
    """Split a tenant's rows at the forecast origin: the last ``horizon`` periods are held out.

    The vocabulary comes from the training rows only, so the holdout sees categories the
    model never saw (encoded as null) exactly as serving later will.
    """
    spec = task.spec
    schema = spec.data_schema
    period = np.timedelta64(PERIOD_DAYS[task.frequency], "D")
    timestamps = task.frame[schema.timestamp].to_numpy().astype("datetime64[ns]")
    target = pc.cast(task.frame[schema.target], pa.float64()).to_numpy(zero_copy_only=False)
    known = ~np.isnan(target)
    if not known.any():
        raise TrainingError(f"tenant {task.tenant}: no rows with a known target")
    origin = timestamps[known].max() - spec.validation.horizon * period
    train_mask = known & (timestamps <= origin)
    holdout_mask = known & (timestamps > origin)
    if not holdout_mask.any() or not train_mask.any():
        raise TrainingError(
            f"tenant {task.tenant}: not enough history for a {spec.validation.horizon}-period "
            "holdout; lower validation.horizon or add data"
        )
    meta = _describe(task, task.frame.filter(pa.array(train_mask)))
    features = meta.encode(task.frame)

    def frame(mask: np.ndarray) -> FeatureFrame:
        return FeatureFrame(
            features=features.filter(pa.array(mask)),
            timestamps=timestamps[mask],
            categorical=task.categorical,
            period=period,
        )

    return _Split(
        frame(train_mask), target[train_mask], frame(holdout_mask), target[holdout_mask], meta
    )


def _tail_split(
    split: _Split, horizon: int
) -> tuple[FeatureFrame, np.ndarray, FeatureFrame, np.ndarray]:
    """Inner split of the training rows for tuning: its own last ``horizon`` periods validate."""
    frame = split.train
    cut = frame.timestamps.max() - horizon * frame.period
    fit_mask, valid_mask = frame.timestamps <= cut, frame.timestamps > cut
    if not fit_mask.any() or not valid_mask.any():
        raise TrainingError("too little training history to tune; disable tuning or add data")

    def part(mask: np.ndarray) -> FeatureFrame:
        return FeatureFrame(
            frame.features.filter(pa.array(mask)),
            frame.timestamps[mask],
            frame.categorical,
            frame.period,
        )

    return part(fit_mask), split.y_train[fit_mask], part(valid_mask), split.y_train[valid_mask]


def _space(spec: FleetSpec) -> dict[str, ParamRange]:
    if not spec.tuning.space:
        return dict(default_space(spec.model.family))
    return {
        name: ParamRange(low=r.low, high=r.high, log=r.log, kind=r.kind, choices=tuple(r.choices))
        for name, r in spec.tuning.space.items()
    }


def _flat_params(prefix: str, params: Mapping[str, Any]) -> dict[str, ParamValue]:
    flat: dict[str, ParamValue] = {}
    for key, value in params.items():
        if isinstance(value, str | int | float | bool) or value is None:
            flat[f"{prefix}.{key}"] = value
        else:
            flat[f"{prefix}.{key}"] = json.dumps(value, sort_keys=True, default=str)
    return flat


def holdout_bytes(split: _Split) -> bytes:
    """The holdout rows as Parquet (encoded features, timestamp, target) for later re-scoring.

    Promotion compares a candidate with the version live in an environment *on the same
    holdout*; keeping the rows with the run makes that possible without re-reading the data.
    """
    frame = split.holdout
    table = frame.features.append_column(
        HOLDOUT_TIMESTAMP, pa.array(frame.timestamps.astype("datetime64[us]"))
    ).append_column(HOLDOUT_TARGET, pa.array(split.y_holdout, pa.float64()))
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def _save(task: TenantTask, package: ModelPackage, split: _Split) -> list[ArtifactRecord]:
    """Write the package (estimator + metadata) and the holdout rows; their artifact records."""
    store = open_artifact_store(task.artifacts_url)
    refs = package.save(store)
    holdout_ref = store.put_bytes(holdout_bytes(split))
    model, meta = refs.model, refs.meta
    return [
        ArtifactRecord("model", package.meta.family, model.digest, model.uri, model.size_bytes),
        ArtifactRecord("model_meta", "json", meta.digest, meta.uri, meta.size_bytes),
        ArtifactRecord(
            "holdout", "parquet", holdout_ref.digest, holdout_ref.uri, holdout_ref.size_bytes
        ),
    ]


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    """Record the seconds a stage took (not recorded if it raises, as before)."""
    clock = time.perf_counter()
    yield
    timings[stage] = time.perf_counter() - clock


def _base_fields(task: TenantTask, started: datetime) -> dict[str, Any]:
    """The record fields every outcome of a task shares."""
    return {
        "run_id": task.run_id,
        "fleet_run_id": task.fleet_run_id,
        "fleet": task.fleet,
        "tenant": task.tenant,
        "environment": task.environment,
        "task_key": task.task_key,
        "config_hash": task.config_hash,
        "data_fingerprint": task.data_fingerprint,
        "model_family": task.spec.model.family,
        "code_version": task.code_version,
        "lineage": dict(task.lineage),
        "findings": task.findings,
        "started_at": started,
    }


def _data_params(task: TenantTask, split: _Split) -> dict[str, ParamValue]:
    """What the run was trained on and judged by, as flat params."""
    spec = task.spec
    return {
        "data.train_rows": len(split.y_train),
        "data.holdout_rows": len(split.y_holdout),
        "data.frequency": task.frequency,
        "validation.horizon": spec.validation.horizon,
        "baseline.family": spec.baseline_family,
        "gates.metric": spec.gate_metric,
        "gates.min_improvement": spec.gates.min_improvement,
    }


def _fit_baseline(spec: FleetSpec, split: _Split) -> dict[str, float]:
    """The baseline's holdout metrics: the score a candidate has to beat."""
    baseline = resolve_family(spec.baseline_family)
    params = {"season": spec.baseline.season} if spec.baseline_family == "seasonal_naive" else {}
    fitted = baseline.fit(split.train, split.y_train, spec.task, params)
    return compute_metrics(spec.task, split.y_holdout, fitted.predict(split.holdout))


def _tune_params(
    spec: FleetSpec, split: _Split, family: ModelFamily, params: Mapping[str, Any]
) -> tuple[dict[str, Any], list[TrialRecord]]:
    """Search the spec's space on an inner split of the training rows: best params, trials."""
    fit_frame, y_fit, valid_frame, y_valid = _tail_split(split, spec.validation.horizon)
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


def train_tenant(task: TenantTask) -> TenantRunRecord:
    """Train, evaluate and gate one tenant's candidate; failures come back as records."""
    base = _base_fields(task, _now())
    timings: dict[str, float] = {}
    params: dict[str, ParamValue] = {}
    spec = task.spec
    try:
        with _timed(timings, "split"):
            split = split_holdout(task)
        params.update(_data_params(task, split))
        with _timed(timings, "baseline"):
            baseline_metrics = _fit_baseline(spec, split)
        family = resolve_family(spec.model.family)
        model_params: dict[str, Any] = dict(spec.model.params)
        trials: list[TrialRecord] = []
        if spec.tuning.enabled:
            with _timed(timings, "tune"):
                model_params, trials = _tune_params(spec, split, family, model_params)
        with _timed(timings, "fit"):
            package = ModelPackage(
                family.fit(split.train, split.y_train, spec.task, model_params), split.meta
            )
        with _timed(timings, "predict"):
            predicted = package.estimator.predict(split.holdout)
            metrics = compute_metrics(spec.task, split.y_holdout, predicted)
        params.update(_flat_params("model", model_params))
        metric = spec.gate_metric
        gate = evaluate_gate(
            metric, metrics[metric], baseline_metrics[metric], spec.gates.min_improvement
        )
        with _timed(timings, "save"):
            artifacts = _save(task, package, split)
        return TenantRunRecord(
            **base,
            status="succeeded" if gate.passed else "rejected",
            finished_at=_now(),
            params=params,
            metrics=metrics,
            baseline_metrics=baseline_metrics,
            timings=timings,
            artifacts=artifacts,
            trials=trials,
            reason=None if gate.passed else gate.reason,
            signature=package.meta.signature,
        )
    except Exception as exc:  # isolation: report, never raise out of a worker
        return _failed(base, params, timings, exc)


def _failed(
    base: Mapping[str, Any],
    params: Mapping[str, ParamValue],
    timings: Mapping[str, float],
    exc: Exception,
) -> TenantRunRecord:
    """The record of a task that raised: the error, and where if it was not a modelfleet one."""
    if isinstance(exc, ModelfleetError):
        reason = f"{type(exc).__name__}: {exc}"
    else:
        frames = traceback.extract_tb(exc.__traceback__)[-1:]
        where = f" (at {frames[0].filename}:{frames[0].lineno})" if frames else ""
        reason = f"{type(exc).__name__}: {exc}{where}"
    return TenantRunRecord(
        **base,
        status="failed",
        finished_at=_now(),
        params=params,
        metrics={},
        baseline_metrics={},
        timings=timings,
        reason=reason,
    )
