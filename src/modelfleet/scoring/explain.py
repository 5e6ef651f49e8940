"""Per-feature contributions that add up to each prediction.

* LightGBM models: LightGBM's own TreeSHAP (``pred_contrib``), exact Shapley values of the trees.
  The pooled model's contributions are computed in its scaled space and multiplied back by the
  tenant's scale, so they add up to the prediction in the tenant's units; its extra inputs
  (tenant attributes, the log of the tenant's scale) appear as features of their own.
* Any other family: a break-down (sequential attribution) against a reference where every input
  is missing: the features are switched from missing to their value one at a time, in the
  model's input order, and each gets the change in prediction it caused. This is exact in the
  sense that matters here (base plus contributions equals the prediction) but depends on the
  order; a model that cannot predict from missing inputs cannot be explained this way.

For binary classification the contributions of LightGBM are on the log-odds scale (the raw
score), where they are additive; ``scale`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from modelfleet.errors import TrainingError, UsageError
from modelfleet.training.frames import FeatureFrame
from modelfleet.training.package import ModelPackage


@dataclass(frozen=True, eq=False)
class Explanation:
    """Contributions (rows x features) and the base each row starts from."""

    method: str  # "tree_shap" or "break_down"
    scale: str  # "prediction" (adds up to it) or "log_odds" (adds up to the raw score)
    names: tuple[str, ...]
    base: np.ndarray  # one per row
    contributions: np.ndarray  # rows x len(names)

    def reordered(self, positions: np.ndarray) -> Explanation:
        """The same explanation with its rows taken at ``positions``."""
        return Explanation(
            self.method, self.scale, self.names, self.base[positions], self.contributions[positions]
        )


def explain(package: ModelPackage, table: pa.Table, stamps: np.ndarray) -> Explanation:
    """Contributions of each input to each row's prediction under ``package``'s model."""
    from modelfleet.training.lightgbm_family import LightGBMEstimator
    from modelfleet.training.pooled import PooledEstimator, pooled_matrix

    frame = package.frame(table, stamps)
    estimator = package.estimator
    if isinstance(estimator, LightGBMEstimator):
        matrix = frame.to_matrix(estimator.features, family=estimator.family)
        raw = _tree_shap(estimator, matrix)
        scale = "log_odds" if estimator.task == "binary_classification" else "prediction"
        return Explanation("tree_shap", scale, estimator.features, raw[:, -1], raw[:, :-1])
    if isinstance(estimator, PooledEstimator):
        inputs, rows = estimator.inputs, frame.num_rows
        attributes = {
            a: np.full(rows, np.nan if v is None else v) for a, v in inputs.attributes.items()
        }
        matrix = pooled_matrix(
            estimator.layout, frame.features, np.full(rows, inputs.scale), attributes
        )
        raw = _tree_shap(estimator.estimator, matrix) * inputs.scale
        names = tuple(estimator.layout.names)
        return Explanation("tree_shap", "prediction", names, raw[:, -1], raw[:, :-1])
    return _break_down(package, frame)


def _tree_shap(estimator: object, matrix: np.ndarray) -> np.ndarray:
    from modelfleet.training.lightgbm_family import LightGBMEstimator

    assert isinstance(estimator, LightGBMEstimator)
    if len(matrix) == 0:
        return np.empty((0, matrix.shape[1] + 1))
    try:
        raw = estimator.booster.predict(matrix, pred_contrib=True, num_threads=1)
    except Exception as exc:  # LightGBM raises its own and ValueError; both mean "cannot"
        raise TrainingError(f"lightgbm could not compute contributions: {exc}") from exc
    return np.asarray(raw, dtype=np.float64)


def _break_down(package: ModelPackage, frame: FeatureFrame) -> Explanation:
    """Switch inputs from missing to their value one at a time (one predict per step)."""
    names = package.meta.feature_columns
    rows, count = frame.num_rows, len(names)
    features = frame.features
    path = np.empty((count + 1, rows))
    for step in range(count + 1):  # a loop over features; each step predicts every row at once
        columns = {
            name: features[name]
            if position < step
            else pa.nulls(rows, features.schema.field(name).type)
            for position, name in enumerate(names)
        }
        partial = FeatureFrame(pa.table(columns), frame.timestamps, frame.categorical, frame.period)
        try:
            path[step] = np.asarray(package.estimator.predict(partial), dtype=np.float64)
        except Exception as exc:  # a family that cannot take missing inputs
            raise UsageError(
                f"the {package.meta.family} model of {package.meta.fleet}/{package.meta.tenant} "
                f"cannot be explained: it does not predict from missing inputs ({exc}); ask "
                "without explain=true"
            ) from exc
    return Explanation("break_down", "prediction", names, path[0], np.diff(path, axis=0).T)
