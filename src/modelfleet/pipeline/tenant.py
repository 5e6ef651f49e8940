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
from collections.abc import Mapping
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
from modelfleet.tracking.records import (
    ArtifactRecord,
    FindingRecord,
    ParamValue,
    TenantRunRecord,
    TrialRecord,
)
from modelfleet.training.families import Estimator, resolve_family
from modelfleet.training.frames import HOLDOUT_TARGET, HOLDOUT_TIMESTAMP, FeatureFrame
from modelfleet.training.gates import evaluate_gate
from modelfleet.training.metrics import compute_metrics
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


@dataclass(frozen=True)
class _Split:
    train: FeatureFrame
    y_train: np.ndarray
    holdout: FeatureFrame
    y_holdout: np.ndarray


def _now() -> datetime:
    return datetime.now(UTC)


def encode_features(
    table: pa.Table,
    columns: tuple[str, ...],
    categorical: tuple[str, ...],
    vocab: Mapping[str, list[str]],
) -> pa.Table:
    """Model inputs as numbers: categories become codes in ``vocab`` (unknown -> null)."""
    arrays: dict[str, pa.Array] = {}
    for name in columns:
        column = table[name]
        if name in categorical:
            values = pc.cast(column, pa.string())
            arrays[name] = pc.index_in(values, value_set=pa.array(vocab[name], pa.string()))
        else:
            arrays[name] = pc.cast(column, pa.float64())
    return pa.table(arrays)


def build_vocabulary(table: pa.Table, categorical: tuple[str, ...]) -> dict[str, list[str]]:
    """The sorted category values seen in training, per categorical column."""
    vocab: dict[str, list[str]] = {}
    for name in categorical:
        values = pc.unique(pc.cast(table[name], pa.string())).drop_null()
        vocab[name] = sorted(values.to_pylist())
    return vocab


def split_holdout(task: TenantTask, vocab_out: dict[str, list[str]]) -> _Split:
    """Split a tenant's rows at the forecast origin: the last ``horizon`` periods are held out."""
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
    train_rows = task.frame.filter(pa.array(train_mask))
    vocab_out.update(build_vocabulary(train_rows, task.categorical))
    features = encode_features(task.frame, task.feature_columns, task.categorical, vocab_out)

    def frame(mask: np.ndarray) -> FeatureFrame:
        return FeatureFrame(
            features=features.filter(pa.array(mask)),
            timestamps=timestamps[mask],
            categorical=task.categorical,
            period=period,
        )

    return _Split(frame(train_mask), target[train_mask], frame(holdout_mask), target[holdout_mask])


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


def _signature(task: TenantTask) -> dict[str, Any]:
    schema = task.frame.schema
    return {
        "inputs": [
            {
                "name": name,
                "type": str(schema.field(name).type),
                "categorical": name in task.categorical,
            }
            for name in task.feature_columns
        ],
        "output": {"name": task.spec.data_schema.target, "type": "float64"},
    }


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


def _save(
    task: TenantTask, estimator: Estimator, vocab: Mapping[str, list[str]], split: _Split
) -> list[ArtifactRecord]:
    store = open_artifact_store(task.artifacts_url)
    model_ref = store.put_bytes(estimator.to_bytes())
    holdout_ref = store.put_bytes(holdout_bytes(split))
    meta = {
        "fleet": task.fleet,
        "tenant": task.tenant,
        "family": estimator.family,
        "task": task.spec.task,
        "frequency": task.frequency,
        "horizon": task.spec.validation.horizon,
        "timestamp": task.spec.data_schema.timestamp,
        "target": task.spec.data_schema.target,
        "feature_columns": list(task.feature_columns),
        "categorical": list(task.categorical),
        "vocabulary": dict(vocab),
        "signature": _signature(task),
        "model_digest": model_ref.digest,
    }
    meta_ref = store.put_bytes(json.dumps(meta, sort_keys=True, indent=1).encode())
    return [
        ArtifactRecord(
            "model", estimator.family, model_ref.digest, model_ref.uri, model_ref.size_bytes
        ),
        ArtifactRecord("model_meta", "json", meta_ref.digest, meta_ref.uri, meta_ref.size_bytes),
        ArtifactRecord(
            "holdout", "parquet", holdout_ref.digest, holdout_ref.uri, holdout_ref.size_bytes
        ),
    ]


def train_tenant(task: TenantTask) -> TenantRunRecord:
    """Train, evaluate and gate one tenant's candidate; failures come back as records."""
    started = _now()
    timings: dict[str, float] = {}
    params: dict[str, ParamValue] = {}
    spec = task.spec
    base: dict[str, Any] = {
        "run_id": task.run_id,
        "fleet_run_id": task.fleet_run_id,
        "fleet": task.fleet,
        "tenant": task.tenant,
        "environment": task.environment,
        "task_key": task.task_key,
        "config_hash": task.config_hash,
        "data_fingerprint": task.data_fingerprint,
        "model_family": spec.model.family,
        "code_version": task.code_version,
        "lineage": dict(task.lineage),
        "findings": task.findings,
        "started_at": started,
    }
    try:
        clock = time.perf_counter()
        vocab: dict[str, list[str]] = {}
        split = split_holdout(task, vocab)
        timings["split"] = time.perf_counter() - clock
        params.update(
            {
                "data.train_rows": len(split.y_train),
                "data.holdout_rows": len(split.y_holdout),
                "data.frequency": task.frequency,
                "validation.horizon": spec.validation.horizon,
                "baseline.family": spec.baseline_family,
                "gates.metric": spec.gate_metric,
                "gates.min_improvement": spec.gates.min_improvement,
            }
        )

        clock = time.perf_counter()
        baseline = resolve_family(spec.baseline_family)
        baseline_params = (
            {"season": spec.baseline.season} if spec.baseline_family == "seasonal_naive" else {}
        )
        baseline_fit = baseline.fit(split.train, split.y_train, spec.task, baseline_params)
        baseline_metrics = compute_metrics(
            spec.task, split.y_holdout, baseline_fit.predict(split.holdout)
        )
        timings["baseline"] = time.perf_counter() - clock

        family = resolve_family(spec.model.family)
        model_params = dict(spec.model.params)
        trials: list[TrialRecord] = []
        if spec.tuning.enabled:
            clock = time.perf_counter()
            fit_frame, y_fit, valid_frame, y_valid = _tail_split(split, spec.validation.horizon)
            result = tune(
                family,
                fit_frame,
                y_fit,
                valid_frame,
                y_valid,
                spec.task,
                model_params,
                _space(spec),
                spec.tuning.metric or spec.gate_metric,
                spec.tuning.trials,
                spec.tuning.timeout_seconds,
                spec.tuning.seed,
            )
            model_params.update(result.best_params)
            trials = [
                TrialRecord(
                    number=t.number,
                    value=float("nan") if t.value is None else t.value,
                    params=dict(t.params),
                    state=t.state,
                )
                for t in result.trials
            ]
            timings["tune"] = time.perf_counter() - clock

        clock = time.perf_counter()
        estimator = family.fit(split.train, split.y_train, spec.task, model_params)
        timings["fit"] = time.perf_counter() - clock
        clock = time.perf_counter()
        metrics = compute_metrics(spec.task, split.y_holdout, estimator.predict(split.holdout))
        timings["predict"] = time.perf_counter() - clock
        params.update(_flat_params("model", model_params))

        metric = spec.gate_metric
        gate = evaluate_gate(
            metric, metrics[metric], baseline_metrics[metric], spec.gates.min_improvement
        )
        clock = time.perf_counter()
        artifacts = _save(task, estimator, vocab, split)
        timings["save"] = time.perf_counter() - clock
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
        )
    except Exception as exc:  # isolation: report, never raise out of a worker
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
