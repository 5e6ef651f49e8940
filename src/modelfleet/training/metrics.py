"""Model quality metrics per task, each with the direction in which it improves."""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

import numpy as np

from modelfleet.config.spec import Task
from modelfleet.errors import TrainingError

Direction = Literal["min", "max"]

METRIC_DIRECTION: Mapping[str, Direction] = MappingProxyType(
    {
        "mae": "min",
        "rmse": "min",
        "wmape": "min",
        "roc_auc": "max",
        "f1": "max",
        "log_loss": "min",
    }
)
TASK_METRICS: Mapping[Task, tuple[str, ...]] = MappingProxyType(
    {
        "regression": ("mae", "rmse", "wmape"),
        "binary_classification": ("roc_auc", "f1", "log_loss"),
    }
)
# Probabilities are clipped away from 0 and 1 so one confident mistake gives a large but finite
# log loss (about 34.5) instead of infinity, which would make every comparison meaningless.
PROBABILITY_EPS = 1e-15
THRESHOLD = 0.5


def default_metric(task: Task) -> str:
    """The metric gates and tuning use unless the spec names another: wmape or log_loss."""
    if task == "regression":
        return "wmape"
    if task == "binary_classification":
        return "log_loss"
    raise TrainingError(f"unknown task {task!r}: use regression or binary_classification")


def check_metric(task: Task, metric: str) -> str:
    """Return ``metric`` if it is defined for ``task``; otherwise fail listing the valid ones."""
    valid = TASK_METRICS.get(task)
    if valid is None:
        raise TrainingError(f"unknown task {task!r}: use regression or binary_classification")
    if metric not in valid:
        raise TrainingError(f"metric {metric!r} is not defined for {task}; use one of {valid}")
    return metric


def compute_metrics(task: Task, y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Score predictions with every metric of ``task``.

    Regression: mae, rmse, wmape = sum|e| / sum|y|, which is NaN when sum|y| == 0 (a window
    of all-zero actuals has no scale; NaN makes the gate reject instead of comparing
    infinities). Binary: roc_auc (NaN with one class present), f1 at threshold 0.5, and
    log_loss on clipped probabilities. Any non-finite prediction makes every metric NaN.
    """
    valid = TASK_METRICS.get(task)
    if valid is None:
        raise TrainingError(f"unknown task {task!r}: use regression or binary_classification")
    y = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise TrainingError(f"cannot score {p.size} predictions against {y.size} actuals")
    if y.size == 0:
        raise TrainingError("cannot score an empty validation set; widen the validation window")
    if not np.isfinite(y).all():
        raise TrainingError("actuals contain NaN or infinity; drop rows without a known target")
    if not np.isfinite(p).all():
        return dict.fromkeys(valid, math.nan)
    if task == "regression":
        return _regression(y, p)
    if not np.isin(y, (0.0, 1.0)).all():
        raise TrainingError("binary_classification actuals must be 0 or 1")
    return _binary(y.astype(np.int64), p)


def _regression(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Absolute and squared error summaries plus scale-free weighted MAPE."""
    abs_err = np.abs(p - y)
    scale = float(np.abs(y).sum())
    return {
        "mae": float(abs_err.mean()),
        "rmse": float(np.sqrt(np.mean((p - y) ** 2))),
        "wmape": float(abs_err.sum() / scale) if scale > 0 else math.nan,
    }


def _binary(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Ranking (AUC), thresholded (F1) and probabilistic (log loss) quality."""
    # Imported here so importing modelfleet.training stays cheap for code that never scores.
    from sklearn.metrics import f1_score, log_loss, roc_auc_score

    clipped = np.clip(p, PROBABILITY_EPS, 1 - PROBABILITY_EPS)
    both_classes = np.unique(y).size == 2
    return {
        "roc_auc": float(roc_auc_score(y, p)) if both_classes else math.nan,
        "f1": float(f1_score(y, (p >= THRESHOLD).astype(np.int64), zero_division=0.0)),
        "log_loss": float(log_loss(y, clipped, labels=[0, 1])),
    }
