"""The per-tenant pipeline: windows, candidates on validation, the choice, holdout, save.

:func:`train_tenant` runs inside a worker process. It never raises: whatever goes wrong becomes a
``failed`` record with the error, so one tenant's bad luck never stops the fleet. Artifacts are
written before the record is returned; the runner writes the record, so a worker killed midway
leaves at most an unreferenced, content-addressed file behind.

Every choice is made on the validation window (:mod:`~modelfleet.pipeline.choice`); the chosen
model is then (with ``validation.refit``) trained again on the rows before the holdout, and
only its holdout score is reported as the run's ``metrics``. Validation and holdout scores of
every candidate are kept as params (``validation.<candidate>.<metric>``,
``holdout.<candidate>.<metric>``), so the record shows what lost and by how much.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from modelfleet.config.spec import FleetSpec, Frequency
from modelfleet.errors import ModelfleetError, TrainingError
from modelfleet.pipeline.candidates import (
    baseline_meta,
    fit_baseline,
    flat_params,
    save_package,
    save_profile,
    save_shared,
    tune_params,
)
from modelfleet.pipeline.choice import Candidate, Choice, choose
from modelfleet.pipeline.pooled import PooledCandidate
from modelfleet.pipeline.task_watch import TaskLimits
from modelfleet.pipeline.windows import (
    TenantSplit,
    check_window_rows,
    describe_split,
    known_target,
    tenant_masks,
)
from modelfleet.tracking.records import (
    ArtifactRecord,
    FindingRecord,
    ParamValue,
    TenantRunRecord,
    TrialRecord,
)
from modelfleet.training.families import Estimator, resolve_family
from modelfleet.training.frames import HOLDOUT_TARGET, HOLDOUT_TIMESTAMP
from modelfleet.training.metrics import compute_metrics
from modelfleet.training.package import ModelPackage, PackageMetadata

__all__ = [
    "HOLDOUT_TARGET",
    "HOLDOUT_TIMESTAMP",
    "TenantTask",
    "split_holdout",
    "split_windows",
    "train_tenant",
]


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
    pooled: PooledCandidate | None = None  # the fleet's pooled model's part, when it has one


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
    """The package metadata of the per-tenant model trained on ``train_rows``."""
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


def split_windows(task: TenantTask) -> TenantSplit:
    """Split a tenant's rows into fit, validation and holdout windows (see ``windows``).

    The vocabulary comes from the rows before the holdout only, so the holdout sees categories
    the model never saw (encoded as null) exactly as serving later will. Too small a window is
    a TrainingError naming the setting to change.
    """
    schema = task.spec.data_schema
    target = known_target(task.frame, schema.target)
    known = ~np.isnan(target)
    if not known.any():
        raise TrainingError(f"tenant {task.tenant}: no rows with a known target")
    stamps = task.frame[schema.timestamp].to_numpy().astype("datetime64[ns]")
    masks = tenant_masks(stamps, known, task.spec, task.frequency)
    if not masks.holdout.any() or not masks.train.any():
        raise TrainingError(
            f"tenant {task.tenant}: not enough history for a {task.spec.validation.horizon}-"
            "period holdout; lower validation.horizon or add data"
        )
    check_window_rows(task.tenant, masks, task.spec, task.frequency)
    meta = _describe(task, task.frame.filter(pa.array(masks.train)))
    return describe_split(task.frame, masks, meta, target)


# The split's name from before validation windows; the same function.
split_holdout = split_windows


@contextmanager
def _timed(timings: dict[str, float], stage: str, add: bool = False) -> Iterator[None]:
    """Record the seconds a stage took (not recorded if it raises); ``add`` sums repeats."""
    clock = time.perf_counter()
    yield
    elapsed = time.perf_counter() - clock
    timings[stage] = timings.get(stage, 0.0) + elapsed if add else elapsed


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


def _data_params(task: TenantTask, split: TenantSplit) -> dict[str, ParamValue]:
    """What the run was trained on and judged by, as flat params."""
    spec = task.spec
    return {
        "data.train_rows": len(split.y_train),
        "data.fit_rows": len(split.y_fit),
        "data.validation_rows": len(split.y_valid),
        "data.holdout_rows": len(split.y_holdout),
        "data.frequency": task.frequency,
        "validation.horizon": spec.validation.horizon,
        "validation.window": spec.validation.validation_window,
        "validation.folds": len(split.masks.folds),
        "validation.refit": spec.validation.refit,
        "baseline.family": spec.baseline_family,
        "gates.metric": spec.gate_metric,
        "gates.min_improvement": spec.gates.min_improvement,
    }


@dataclass
class _Work:
    """What one task computes as it goes: scores, timings, params, the per-tenant model."""

    timings: dict[str, float] = field(default_factory=dict)
    params: dict[str, ParamValue] = field(default_factory=dict)
    validation: dict[str, dict[str, float]] = field(default_factory=dict)
    holdout: dict[str, dict[str, float]] = field(default_factory=dict)
    holdout_pred: dict[str, np.ndarray] = field(default_factory=dict)  # for the profile
    trials: list[TrialRecord] = field(default_factory=list)
    model_params: dict[str, Any] = field(default_factory=dict)

    def scores(self) -> dict[str, ParamValue]:
        """Every candidate's validation and holdout metrics as flat params."""
        flat: dict[str, ParamValue] = {}
        for window, scores in (("validation", self.validation), ("holdout", self.holdout)):
            for candidate, metrics in scores.items():
                for metric, value in metrics.items():
                    flat[f"{window}.{candidate}.{metric}"] = value
        return flat


def _validate(task: TenantTask, split: TenantSplit, work: _Work) -> Estimator:
    """Score every candidate on the validation folds; the per-tenant model of the nearest fold.

    Each fold fits the baseline and the per-tenant model on the rows before its window and
    predicts that window; a candidate's score is one metric over every fold's rows together
    (the pooled model's fold predictions arrive with the task, in the same row order).
    """
    spec = task.spec
    family = resolve_family(spec.model.family)
    work.model_params = dict(spec.model.params)
    if spec.tuning.enabled:
        with _timed(work.timings, "tune"):
            work.model_params, work.trials = tune_params(spec, split, family, work.model_params)
    rows = len(split.y_valid)
    predicted = {"baseline": np.empty(rows), "per_tenant": np.empty(rows)}
    nearest: Estimator | None = None
    for (fit, y_fit, valid, _), where in zip(split.folds(), split.fold_positions(), strict=True):
        with _timed(work.timings, "baseline", add=True):
            predicted["baseline"][where] = fit_baseline(spec, fit, y_fit).predict(valid)
        with _timed(work.timings, "fit", add=True):
            model = family.fit(fit, y_fit, spec.task, work.model_params)
        predicted["per_tenant"][where] = model.predict(valid)
        nearest = model if nearest is None else nearest
    assert nearest is not None  # every split has at least one fold
    for name, values in predicted.items():
        work.validation[name] = compute_metrics(spec.task, split.y_valid, values)
    if task.pooled is not None:
        work.validation["pooled"] = compute_metrics(
            spec.task, split.y_valid, _aligned(task.pooled.valid_pred, split.y_valid, task)
        )
    return nearest


def _aligned(predictions: np.ndarray, actuals: np.ndarray, task: TenantTask) -> np.ndarray:
    """The pooled stage's predictions, checked to be one per window row of this task."""
    if len(predictions) != len(actuals):
        raise TrainingError(
            f"tenant {task.tenant}: the pooled model predicted {len(predictions)} rows of a "
            f"window with {len(actuals)}; the pooled stage and the task disagree on windows"
        )
    return predictions


def _final_models(
    task: TenantTask, split: TenantSplit, work: _Work, model: Estimator
) -> dict[Candidate, ModelPackage | None]:
    """Each candidate as registered (refit on the rows before the holdout when asked) and its
    holdout score. The pooled candidate has no package here: its booster is shared."""
    spec = task.spec
    baseline = fit_baseline(spec, split.train, split.y_train)  # the forecast from the origin
    if spec.validation.refit:
        with _timed(work.timings, "refit"):
            family = resolve_family(spec.model.family)
            model = family.fit(split.train, split.y_train, spec.task, work.model_params)
    with _timed(work.timings, "predict"):
        packages: dict[Candidate, ModelPackage | None] = {
            "per_tenant": ModelPackage(model, split.meta),
            "baseline": ModelPackage(baseline, baseline_meta(spec, split.meta)),
        }
        for name, package in packages.items():
            assert package is not None
            predicted = package.estimator.predict(split.holdout)
            work.holdout[name] = compute_metrics(spec.task, split.y_holdout, predicted)
            work.holdout_pred[name] = predicted
        if task.pooled is not None:
            predicted = _aligned(task.pooled.holdout_pred, split.y_holdout, task)
            work.holdout["pooled"] = compute_metrics(spec.task, split.y_holdout, predicted)
            work.holdout_pred["pooled"] = predicted
            packages["pooled"] = None
    return packages


def _save_chosen(
    task: TenantTask,
    split: TenantSplit,
    chosen: Candidate,
    work: _Work,
    packages: Mapping[Candidate, ModelPackage | None],
) -> tuple[list[ArtifactRecord], PackageMetadata]:
    """Write the chosen candidate's package, holdout rows and reference profile; its
    artifacts and metadata."""
    package = packages[chosen]
    if package is None:
        assert task.pooled is not None  # only the pooled candidate has no own package
        meta = task.pooled.meta
        artifacts = save_shared(task.artifacts_url, meta, task.pooled.model, split)
    else:
        meta = package.meta
        artifacts = save_package(task.artifacts_url, package, split)
    with _timed(work.timings, "profile"):
        profile = save_profile(task.artifacts_url, meta, split, work.holdout_pred[chosen])
    work.params["profile.bytes"] = profile.size_bytes
    return [*artifacts, profile], meta


def _outcome(spec: FleetSpec, choice: Choice) -> tuple[str, Candidate, str | None]:
    """(status, what is saved, reason): a fallback succeeds with the baseline as its model."""
    if not choice.fell_back:
        return "succeeded", choice.chosen, None
    if spec.model.fallback == "baseline":
        return "succeeded", "baseline", f"fallback to the baseline: {choice.reason}"
    return "rejected", choice.best, choice.reason


def train_tenant(task: TenantTask) -> TenantRunRecord:
    """Choose, evaluate and save one tenant's model; failures come back as records."""
    base = _base_fields(task, _now())
    work = _Work()
    spec = task.spec
    try:
        with _timed(work.timings, "split"):
            split = split_windows(task)
        work.params.update(_data_params(task, split))
        model = _validate(task, split, work)
        choice = choose(spec.gate_metric, spec.gates.min_improvement, work.validation)
        packages = _final_models(task, split, work, model)
        status, saved, reason = _outcome(spec, choice)
        work.params.update(flat_params("model", work.model_params))
        work.params.update(work.scores())
        work.params.update({"choice": saved, "choice.reason": choice.reason})
        with _timed(work.timings, "save"):
            artifacts, meta = _save_chosen(task, split, saved, work, packages)
        return TenantRunRecord(
            **{**base, "model_family": meta.family},
            status="succeeded" if status == "succeeded" else "rejected",
            finished_at=_now(),
            params=work.params,
            metrics=work.holdout[saved],
            baseline_metrics=work.holdout["baseline"],
            timings=work.timings,
            artifacts=artifacts,
            trials=work.trials,
            reason=reason,
            signature=meta.signature,
        )
    except Exception as exc:  # isolation: report, never raise out of a worker
        return _failed(base, work.params, work.timings, exc)


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
