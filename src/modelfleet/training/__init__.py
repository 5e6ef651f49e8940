"""Model families behind one protocol, metrics, quality gates and (in ``tuning``) Optuna search.

Importing this package is cheap: LightGBM, scikit-learn and Optuna load only when a family,
a binary metric or :mod:`modelfleet.training.tuning` is used.
"""

from __future__ import annotations

from modelfleet.training.families import (
    Estimator,
    ModelFamily,
    default_baseline,
    family_names,
    resolve_family,
)
from modelfleet.training.frames import FeatureFrame
from modelfleet.training.gates import GateResult, evaluate_gate, relative_improvement
from modelfleet.training.metrics import (
    METRIC_DIRECTION,
    TASK_METRICS,
    check_metric,
    compute_metrics,
    default_metric,
)

__all__ = [
    "METRIC_DIRECTION",
    "TASK_METRICS",
    "Estimator",
    "FeatureFrame",
    "GateResult",
    "ModelFamily",
    "check_metric",
    "compute_metrics",
    "default_baseline",
    "default_metric",
    "evaluate_gate",
    "family_names",
    "relative_improvement",
    "resolve_family",
]
