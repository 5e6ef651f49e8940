"""The pooled (global) model: one LightGBM booster over every tenant of a fleet.

Big and small tenants share one model because the target and every target-derived feature are
divided by the tenant's training mean (its *scale*); the tenant's static attributes and the log
of its scale are extra inputs. The booster is saved once, content-addressed, and every pooled
tenant's package points at those same bytes; what is the tenant's own (scale, attributes) lives
in its package metadata (:class:`~modelfleet.training.package_meta.PooledInputs`).
:class:`PooledEstimator` binds the two back together to predict one tenant's rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from modelfleet.config.spec import Task
from modelfleet.errors import TrainingError
from modelfleet.training.frames import FeatureFrame
from modelfleet.training.lightgbm_family import (
    LightGBMEstimator,
    LightGBMFamily,
    fit_matrix,
    predict_matrix,
)
from modelfleet.training.package_meta import PooledInputs

FAMILY = "pooled_lightgbm"
ATTRIBUTE_PREFIX = "attr_"
LOG_SCALE = "pooled_log_scale"
# Columns the history view derives from the target (lag_7, roll_28_mean...): divided by scale.
_TARGET_DERIVED = re.compile(r"^(lag_\d+|roll_\d+_(mean|std|min|max|sum))$")


def target_derived(columns: Sequence[str]) -> tuple[str, ...]:
    """The feature columns that are the target's own history, so they scale with it."""
    return tuple(name for name in columns if _TARGET_DERIVED.match(name))


def tenant_scale(target: np.ndarray) -> float:
    """A tenant's scale: the mean absolute training target, 1.0 when that is zero or unknown."""
    values = np.abs(np.asarray(target, dtype=np.float64))
    values = values[np.isfinite(values)]
    mean = float(values.mean()) if values.size else 0.0
    return mean if mean > 0 else 1.0


@dataclass(frozen=True)
class PooledLayout:
    """The pooled booster's inputs: the tenants' feature columns, then attributes, then scale."""

    feature_columns: tuple[str, ...]
    categorical: tuple[str, ...]
    scaled: tuple[str, ...]
    attributes: tuple[str, ...]
    categorical_attributes: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        """Booster feature names, in order."""
        return [
            *self.feature_columns,
            *(ATTRIBUTE_PREFIX + a for a in self.attributes),
            LOG_SCALE,
        ]

    @property
    def categorical_names(self) -> list[str]:
        """Booster features LightGBM treats as categories."""
        return [*self.categorical, *(ATTRIBUTE_PREFIX + a for a in self.categorical_attributes)]


def pooled_matrix(
    layout: PooledLayout,
    features: pa.Table,
    scale: np.ndarray,
    attributes: Mapping[str, np.ndarray],
) -> np.ndarray:
    """The booster's input matrix for encoded rows: ``scale`` and ``attributes`` are per row.

    One vectorised pass per column; target-derived columns are divided by the row's tenant scale.
    """
    frame = FeatureFrame(features, np.zeros(features.num_rows, "datetime64[ns]"))
    base = frame.to_matrix(layout.feature_columns, family=FAMILY)
    scaled = [layout.feature_columns.index(name) for name in layout.scaled]
    base[:, scaled] /= scale[:, None]
    extra = [np.asarray(attributes[a], dtype=np.float64) for a in layout.attributes]
    return (
        np.column_stack([base, *extra, np.log(scale)])
        if extra
        else np.column_stack([base, np.log(scale)])
    )


def fit_pooled(
    layout: PooledLayout,
    matrix: np.ndarray,
    scaled_target: np.ndarray,
    params: Mapping[str, Any],
) -> LightGBMEstimator:
    """One LightGBM fit on every tenant's rows at once (all cores: it is a single fit)."""
    return fit_matrix(
        matrix,
        scaled_target,
        layout.names,
        layout.categorical_names,
        "regression",
        {"num_threads": 0, **params},
        what="the pooled model (model.pooled_params, else model.params)",
    )


@dataclass(frozen=True, eq=False)
class PooledBooster:
    """The shared booster as loaded from its bytes: it needs a tenant's inputs to predict."""

    estimator: LightGBMEstimator
    family: str = FAMILY

    def predict(self, frame: FeatureFrame) -> np.ndarray:
        """Refuse: without a tenant's scale and attributes the output means nothing."""
        raise TrainingError(
            "a pooled model predicts for one tenant: load it through that tenant's model package "
            "(its metadata holds the tenant's scale and attributes)"
        )

    def to_bytes(self) -> bytes:
        """The booster in LightGBM's own text format: the same bytes for every tenant."""
        return self.estimator.to_bytes()

    def bind(self, inputs: PooledInputs, layout: PooledLayout) -> PooledEstimator:
        """This booster predicting for the tenant ``inputs`` describes."""
        return PooledEstimator(self.estimator, inputs, layout)


@dataclass(frozen=True, eq=False)
class PooledEstimator:
    """The pooled booster bound to one tenant: scales its rows in and its predictions out."""

    estimator: LightGBMEstimator
    inputs: PooledInputs
    layout: PooledLayout
    family: str = FAMILY

    def predict(self, frame: FeatureFrame) -> np.ndarray:
        """Predictions in the tenant's own units (the booster predicts target / scale)."""
        rows = frame.num_rows
        scale = np.full(rows, self.inputs.scale)
        attributes = {
            a: np.full(rows, np.nan if v is None else v) for a, v in self.inputs.attributes.items()
        }
        matrix = pooled_matrix(self.layout, frame.features, scale, attributes)
        return predict_matrix(self.estimator, matrix, threads=1) * self.inputs.scale

    def to_bytes(self) -> bytes:
        """The shared booster's bytes (not the tenant's inputs, which the metadata holds)."""
        return self.estimator.to_bytes()


def layout_of(
    booster: LightGBMEstimator, feature_columns: Sequence[str], inputs: PooledInputs
) -> PooledLayout:
    """The layout a loaded booster was trained with, from its feature names and the metadata."""
    attributes = tuple(
        n.removeprefix(ATTRIBUTE_PREFIX) for n in booster.features if n.startswith(ATTRIBUTE_PREFIX)
    )
    if set(attributes) != set(inputs.attributes):
        raise TrainingError(
            f"the pooled booster takes attributes {sorted(attributes)} but the package metadata "
            f"gives {sorted(inputs.attributes)}: the version points at mismatched artifacts"
        )
    columns = tuple(feature_columns)
    expected = [*columns, *(ATTRIBUTE_PREFIX + a for a in attributes), LOG_SCALE]
    if list(booster.features) != expected:
        raise TrainingError(
            f"the pooled booster's inputs {list(booster.features)} do not match the package's "
            f"feature columns {list(columns)}: the version points at mismatched artifacts"
        )
    categorical = set(booster.categorical)
    return PooledLayout(
        feature_columns=columns,
        categorical=tuple(c for c in columns if c in categorical),
        scaled=inputs.scaled,
        attributes=attributes,
        categorical_attributes=tuple(a for a in attributes if ATTRIBUTE_PREFIX + a in categorical),
    )


class PooledFamily:
    """Loads the shared booster; fitting happens once per fleet run, not per tenant."""

    name = FAMILY

    def fit(
        self, frame: FeatureFrame, target: np.ndarray, task: Task, params: Mapping[str, Any]
    ) -> PooledBooster:
        """Refuse: the pooled model is trained over every tenant by the fleet's pooled stage."""
        raise TrainingError(
            "model family 'pooled_lightgbm' is trained once over all tenants (model.pooled in "
            "the fleet spec), not per tenant: use family lightgbm for a per-tenant model"
        )

    def load(self, blob: bytes) -> PooledBooster:
        """The shared booster from its LightGBM text."""
        return PooledBooster(LightGBMFamily().load(blob))
