"""The model-facing view of a tenant's data: a numeric feature table plus its timestamps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.config.spec import Task
from modelfleet.errors import TrainingError

_NS = np.dtype("datetime64[ns]")
# Column names of a run's saved holdout (Parquet): written by the pipeline, read back by the
# registry to re-score a live version on the same rows.
HOLDOUT_TIMESTAMP: Final = "__timestamp"
HOLDOUT_TARGET: Final = "__target"
ONE_DAY = np.timedelta64(1, "D")


@dataclass(frozen=True, eq=False)  # arrays and tables have no single truth value for ==
class FeatureFrame:
    """Numeric feature columns, one timestamp per row (ascending) and the series' step.

    Categoricals arrive already integer-coded (null = missing) and are named in ``categorical``
    so families that understand them (LightGBM) can treat them as such.
    """

    features: pa.Table
    timestamps: np.ndarray
    categorical: tuple[str, ...] = ()
    period: np.timedelta64 = ONE_DAY

    def __post_init__(self) -> None:
        stamps = np.asarray(self.timestamps)
        if not np.issubdtype(stamps.dtype, np.datetime64) or stamps.ndim != 1:
            raise TrainingError(
                f"FeatureFrame.timestamps must be a 1-D datetime64 array, got {stamps.dtype} "
                f"with shape {stamps.shape}"
            )
        # Normalise the unit once so every consumer can do integer arithmetic in nanoseconds.
        # The dataclass is frozen to callers; this is construction, not mutation.
        stamps = stamps.astype(_NS, copy=False)
        object.__setattr__(self, "timestamps", stamps)
        if len(stamps) != self.features.num_rows:
            raise TrainingError(
                f"FeatureFrame has {self.features.num_rows} feature rows but {len(stamps)} "
                "timestamps: give exactly one timestamp per row"
            )
        if np.isnat(stamps).any():
            raise TrainingError("FeatureFrame.timestamps contains NaT: every row needs a time")
        if len(stamps) > 1 and bool((stamps[1:] < stamps[:-1]).any()):
            raise TrainingError("FeatureFrame.timestamps must be ascending: sort rows by time")
        if not self.period > np.timedelta64(0, "ns"):
            raise TrainingError(f"FeatureFrame.period must be positive, got {self.period}")
        self._check_columns()

    def _check_columns(self) -> None:
        """Reject non-numeric features and categoricals that are not integer feature columns."""
        schema = self.features.schema
        for field in schema:
            kind = field.type
            numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind)
            if not (numeric or pa.types.is_boolean(kind)):
                raise TrainingError(
                    f"feature column {field.name!r} has type {kind}; model inputs must be "
                    "numeric: integer-code categoricals in the feature step"
                )
        for name in self.categorical:
            index = schema.get_field_index(name)
            if index < 0:
                raise TrainingError(
                    f"categorical column {name!r} is not among the feature columns "
                    f"{list(schema.names)}"
                )
            if not pa.types.is_integer(schema.field(index).type):
                raise TrainingError(
                    f"categorical column {name!r} must be integer-coded, "
                    f"got {schema.field(index).type}"
                )

    @property
    def num_rows(self) -> int:
        """Number of rows."""
        return int(self.features.num_rows)

    @property
    def column_names(self) -> tuple[str, ...]:
        """Feature column names in table order."""
        return tuple(self.features.column_names)

    def select(self, columns: Sequence[str]) -> FeatureFrame:
        """Return a frame with only ``columns``, in this order (same rows and timestamps)."""
        missing = sorted(set(columns) - set(self.column_names))
        if missing:
            raise TrainingError(f"cannot select missing feature columns {missing}")
        return FeatureFrame(
            features=self.features.select(list(columns)),
            timestamps=self.timestamps,
            categorical=tuple(c for c in self.categorical if c in set(columns)),
            period=self.period,
        )

    def to_matrix(self, columns: Sequence[str] | None = None, *, family: str) -> np.ndarray:
        """Return the columns (all, or these by name in this order) as float64 with NaN for null.

        Selecting by name is what keeps a model's feature order independent of the frame's
        column order; ``family`` names the model in the error when a column is missing.
        """
        names = list(self.column_names if columns is None else columns)
        present = set(self.features.column_names)
        missing = [name for name in names if name not in present]
        if missing:
            raise TrainingError(
                f"model family {family!r} needs feature columns {missing} that are missing from "
                f"the frame (it has {list(self.features.column_names)}); rebuild the features "
                "with the spec the model was trained on, or retrain the model"
            )
        matrix = np.empty((self.num_rows, len(names)), dtype=np.float64)
        for j, name in enumerate(names):  # a loop over columns, each one vectorised
            column = pc.cast(self.features.column(name), pa.float64(), safe=False)
            matrix[:, j] = column.to_numpy(zero_copy_only=False)
        return matrix


def check_task(value: object) -> Task:
    """Return ``value`` as a Task, failing for anything else (e.g. a damaged model header)."""
    if value == "regression" or value == "binary_classification":
        return value
    raise TrainingError(f"unknown task {value!r}: use regression or binary_classification")


def check_target(target: np.ndarray, num_rows: int, task: Task, *, family: str) -> np.ndarray:
    """Return the target as float64 after checking its length, finiteness and (binary) labels."""
    y = np.asarray(target)
    if y.ndim != 1 or len(y) != num_rows:
        raise TrainingError(
            f"model family {family!r}: target has shape {y.shape} but the frame has {num_rows} "
            "rows; give one target value per row"
        )
    if num_rows == 0:
        raise TrainingError(f"model family {family!r}: cannot fit on zero rows")
    try:
        y = y.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise TrainingError(f"model family {family!r}: target must be numeric ({exc})") from exc
    if not np.isfinite(y).all():
        raise TrainingError(
            f"model family {family!r}: target contains NaN or infinite values; drop rows with a "
            "missing target before training"
        )
    if task == "binary_classification" and not np.isin(y, (0.0, 1.0)).all():
        raise TrainingError(
            f"model family {family!r}: binary_classification targets must be 0 or 1, got "
            f"values {np.unique(y)[:5].tolist()}; map the positive class to 1"
        )
    return y
