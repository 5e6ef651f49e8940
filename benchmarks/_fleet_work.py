"""The model work of the floor and MLflow arms of ``bench_fleet_training.py``.

Both arms train exactly what modelfleet trains: per tenant, the rows of modelfleet's own feature
table, split at the forecast origin (last ``horizon`` periods with a known target are the
holdout), the categorical columns coded with the sorted values seen in the training rows
(unknown -> NaN), every feature as float64 with NaN for null, and the LightGBM params modelfleet
derives from the spec (``build_params``: same rounds, learning rate, leaves, min child samples,
``num_threads=1``, same ``categorical_feature`` indices). Fit on the training rows, predict the
holdout, score wMAPE: nothing else.

Pool workers import this module once (forkserver preload), so it keeps its imports to what a
bare training loop needs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TENANT_COLUMN = "_tenant"  # modelfleet's canonical tenant column


@dataclass(frozen=True)
class ModelSetup:
    """What every worker needs once: LightGBM params, rounds, feature names, categoricals."""

    params: dict[str, Any]
    rounds: int
    feature_names: tuple[str, ...]
    categorical_index: tuple[int, ...]


@dataclass(frozen=True)
class TenantMatrices:
    """One tenant's model inputs, ready for LightGBM."""

    tenant: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_holdout: np.ndarray
    y_holdout: np.ndarray


@dataclass(frozen=True)
class TenantResult:
    """What a worker sends back: holdout scores (and timings of the tenant's work)."""

    tenant: str
    metrics: dict[str, float]
    fit_seconds: float
    extra_seconds: float = 0.0  # tracking / logging work done around the fit (MLflow arm)
    attempts: int = 1


def prepare_matrices(
    table: pa.Table,
    feature_columns: Sequence[str],
    categorical: Sequence[str],
    *,
    timestamp: str,
    target: str,
    holdout_span: np.timedelta64,
) -> list[TenantMatrices]:
    """Per-tenant train/holdout matrices from a feature table sorted by (tenant, timestamp).

    The numeric columns become one float64 matrix in a single pass; the per-tenant loop only
    slices it and codes the categoricals against that tenant's training vocabulary.
    """
    n = table.num_rows
    names = list(feature_columns)
    matrix = np.empty((n, len(names)), dtype=np.float64)
    strings: dict[int, np.ndarray] = {}
    for j, name in enumerate(names):
        if name in categorical:
            strings[j] = np.asarray(
                pc.cast(table[name], pa.string()).to_numpy(zero_copy_only=False), dtype=object
            )
        else:
            matrix[:, j] = pc.cast(table[name], pa.float64(), safe=False).to_numpy(
                zero_copy_only=False
            )
    stamps = table[timestamp].to_numpy().astype("datetime64[ns]")
    y = pc.cast(table[target], pa.float64()).to_numpy(zero_copy_only=False)
    encoded = pc.dictionary_encode(table[TENANT_COLUMN]).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    tenants = encoded.dictionary.to_pylist()
    starts = np.concatenate(([0], np.flatnonzero(np.diff(codes)) + 1))
    ends = np.append(starts[1:], n)

    result: list[TenantMatrices] = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        ts, target_values = stamps[start:end], y[start:end]
        known = ~np.isnan(target_values)
        origin = ts[known].max() - holdout_span
        train, holdout = known & (ts <= origin), known & (ts > origin)
        x = matrix[start:end].copy()
        for j, values in strings.items():
            rows = values[start:end]
            vocab = sorted({v for v in rows[train] if v is not None})
            lookup = {v: float(i) for i, v in enumerate(vocab)}
            x[:, j] = [lookup.get(v, np.nan) if v is not None else np.nan for v in rows]
        result.append(
            TenantMatrices(
                tenant=tenants[codes[start]],
                x_train=x[train],
                y_train=target_values[train],
                x_holdout=x[holdout],
                y_holdout=target_values[holdout],
            )
        )
    return result


def regression_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """mae, rmse, wmape exactly as modelfleet computes them."""
    abs_err = np.abs(p - y)
    scale = float(np.abs(y).sum())
    return {
        "mae": float(abs_err.mean()),
        "rmse": float(np.sqrt(np.mean((p - y) ** 2))),
        "wmape": float(abs_err.sum() / scale) if scale > 0 else float("nan"),
    }


def fit_predict(setup: ModelSetup, task: TenantMatrices) -> tuple[lgb.Booster, dict[str, float]]:
    """Fit LightGBM on the training rows and score the holdout: the floor's whole job."""
    names = list(setup.feature_names)
    dataset = lgb.Dataset(
        task.x_train,
        label=task.y_train,
        feature_name=names,
        categorical_feature=list(setup.categorical_index) or "auto",
        params=setup.params,
        free_raw_data=True,
    )
    booster = lgb.train(setup.params, dataset, num_boost_round=setup.rounds)
    predictions = np.asarray(
        booster.predict(task.x_holdout, num_threads=int(setup.params["num_threads"])),
        dtype=np.float64,
    )
    return booster, regression_metrics(task.y_holdout, predictions)


# ------------------------------------------------------------------ floor worker
_SETUP: ModelSetup | None = None


def init_floor_worker(setup: ModelSetup) -> None:
    """Pool initializer: keep the shared setup in the worker."""
    global _SETUP
    _SETUP = setup


def floor_task(task: TenantMatrices) -> TenantResult:
    """One tenant in the bare loop: fit, predict, score."""
    assert _SETUP is not None, "init_floor_worker did not run"
    clock = time.perf_counter()
    _, metrics = fit_predict(_SETUP, task)
    return TenantResult(task.tenant, metrics, time.perf_counter() - clock)
