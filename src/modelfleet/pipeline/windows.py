"""Evaluation windows: each tenant's history ends in a holdout, preceded by a validation window.

Rows with a known target split by time, never at random: **fit** rows end ``window`` periods
before the holdout; **validation** rows are the ``window`` periods after them, where the gate,
the per-tenant/pooled/baseline choice and tuning decide; the **holdout** is the last ``horizon``
periods, which no choice sees and every reported metric comes from. Windows are measured on the
calendar (periods), not in rows, so gaps in a series never move them.

:func:`grouped_masks` computes the windows of many tenants at once (the pooled stage splits the
whole fleet in one vectorised pass); :func:`split_windows` is one tenant's split in its task.
Both use the same arithmetic, so the pooled stage's rows are exactly the task's rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.config.blocks import PERIOD_DAYS
from modelfleet.config.spec import FleetSpec, Frequency
from modelfleet.errors import TrainingError
from modelfleet.training.frames import FeatureFrame
from modelfleet.training.package import PackageMetadata

_NS = "datetime64[ns]"


@dataclass(frozen=True, eq=False)
class WindowMasks:
    """Which rows fit, validate and are held out (boolean arrays over the same rows)."""

    fit: np.ndarray
    valid: np.ndarray
    holdout: np.ndarray

    @property
    def train(self) -> np.ndarray:
        """Rows before the holdout: fit and validation rows (what a refit trains on)."""
        return np.asarray(self.fit | self.valid, dtype=bool)


def period_of(frequency: Frequency) -> np.timedelta64:
    """One period of ``frequency`` in nanoseconds."""
    return np.timedelta64(PERIOD_DAYS[frequency] * 86_400 * 10**9, "ns")


def grouped_masks(
    codes: np.ndarray,
    timestamps: np.ndarray,
    known: np.ndarray,
    horizon: np.ndarray,
    window: np.ndarray,
    period: np.timedelta64,
) -> WindowMasks:
    """Windows of many tenants at once: ``codes`` number each row's tenant (0..n-1).

    ``horizon`` and ``window`` are per tenant (indexed by code). Each tenant's holdout starts
    after its last known target minus ``horizon`` periods; its validation window is the
    ``window`` periods before that. A tenant with no known target has no rows in any window.
    """
    stamps = timestamps.astype(_NS).astype(np.int64)
    tenants = int(codes.max()) + 1 if codes.size else 0
    last = np.full(tenants, np.iinfo(np.int64).min)
    np.maximum.at(last, codes[known], stamps[known])
    step = np.int64(period.astype("timedelta64[ns]").astype(np.int64))
    # A tenant without a known target has no rows in any window (``known`` is all false);
    # its sentinel is replaced before the arithmetic so nothing wraps around.
    last = np.where(last == np.iinfo(np.int64).min, 0, last)
    holdout_origin = last - horizon.astype(np.int64) * step
    valid_origin = holdout_origin - window.astype(np.int64) * step
    row_holdout, row_valid = holdout_origin[codes], valid_origin[codes]
    return WindowMasks(
        fit=known & (stamps <= row_valid),
        valid=known & (stamps > row_valid) & (stamps <= row_holdout),
        holdout=known & (stamps > row_holdout),
    )


def tenant_masks(
    timestamps: np.ndarray, known: np.ndarray, spec: FleetSpec, frequency: Frequency
) -> WindowMasks:
    """One tenant's windows under ``spec`` (the same arithmetic as :func:`grouped_masks`)."""
    validation = spec.validation
    return grouped_masks(
        np.zeros(len(timestamps), dtype=np.int64),
        timestamps,
        known,
        np.array([validation.horizon]),
        np.array([validation.validation_window]),
        period_of(frequency),
    )


@dataclass(frozen=True, eq=False)
class TenantSplit:
    """One tenant's rows in windows, encoded with the vocabulary of the rows before the holdout.

    ``rows`` are the raw (unencoded) rows, so another package (the pooled one) can encode the
    holdout in its own vocabulary for the saved holdout artifact.
    """

    rows: pa.Table
    masks: WindowMasks
    features: pa.Table  # every row, encoded with ``meta``
    timestamps: np.ndarray
    target: np.ndarray
    period: np.timedelta64
    categorical: tuple[str, ...]
    meta: PackageMetadata  # vocabulary from the rows before the holdout, input signature

    def frame(self, mask: np.ndarray) -> FeatureFrame:
        """The encoded rows of ``mask`` as a model input frame."""
        return FeatureFrame(
            features=self.features.filter(pa.array(mask)),
            timestamps=self.timestamps[mask],
            categorical=self.categorical,
            period=self.period,
        )

    @property
    def fit(self) -> FeatureFrame:
        """Rows before the validation window."""
        return self.frame(self.masks.fit)

    @property
    def valid(self) -> FeatureFrame:
        """The validation window's rows."""
        return self.frame(self.masks.valid)

    @property
    def train(self) -> FeatureFrame:
        """Rows before the holdout (fit and validation)."""
        return self.frame(self.masks.train)

    @property
    def holdout(self) -> FeatureFrame:
        """The holdout's rows."""
        return self.frame(self.masks.holdout)

    @property
    def y_fit(self) -> np.ndarray:
        return np.asarray(self.target[self.masks.fit])

    @property
    def y_valid(self) -> np.ndarray:
        return np.asarray(self.target[self.masks.valid])

    @property
    def y_train(self) -> np.ndarray:
        return np.asarray(self.target[self.masks.train])

    @property
    def y_holdout(self) -> np.ndarray:
        return np.asarray(self.target[self.masks.holdout])

    def raw_holdout(self) -> pa.Table:
        """The holdout's raw rows (for encoding in another package's vocabulary)."""
        return self.rows.filter(pa.array(self.masks.holdout))


def check_window_rows(
    tenant: str, masks: WindowMasks, spec: FleetSpec, frequency: Frequency
) -> None:
    """TrainingError naming the window and the setting when a window has too few rows."""
    validation = spec.validation
    needed = validation.min_rows(frequency)
    for name, mask, periods, setting in (
        ("holdout", masks.holdout, validation.horizon, "validation.horizon"),
        ("validation window", masks.valid, validation.validation_window, "validation.window"),
    ):
        count = int(mask.sum())
        if count < needed:
            raise TrainingError(
                f"tenant {tenant}: the {name} ({setting}={periods} periods) has {count} row(s) "
                f"with a known target, fewer than validation.min_holdout_rows={needed}: a score "
                f"from so few rows says nothing; add data, widen {setting} or lower "
                "validation.min_holdout_rows"
            )
    if not masks.fit.any():
        raise TrainingError(
            f"tenant {tenant}: no rows before the validation window: not enough history for a "
            f"{validation.horizon}-period holdout after a {validation.validation_window}-period "
            "validation window; lower validation.horizon or validation.window, or add data"
        )


def describe_split(
    rows: pa.Table, masks: WindowMasks, meta: PackageMetadata, target: np.ndarray
) -> TenantSplit:
    """The split of ``rows`` under ``masks``, encoded with ``meta``."""
    return TenantSplit(
        rows=rows,
        masks=masks,
        features=meta.encode(rows),
        timestamps=rows[meta.timestamp].to_numpy().astype(_NS),
        target=target,
        period=meta.period,
        categorical=meta.categorical,
        meta=meta,
    )


def known_target(rows: pa.Table, target: str) -> np.ndarray:
    """The target as float64 (NaN where unknown)."""
    return np.asarray(
        pc.cast(rows[target], pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
    )
