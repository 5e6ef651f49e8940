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

from collections.abc import Iterator, Sequence
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
class Fold:
    """One validation origin: the rows a candidate is fitted on and the window it is scored on."""

    fit: np.ndarray
    valid: np.ndarray


@dataclass(frozen=True, eq=False)
class WindowMasks:
    """Which rows fit, validate and are held out (boolean arrays over the same rows).

    ``folds`` are the validation origins, nearest the holdout first: fold ``j`` scores the
    ``window`` periods ending ``j`` windows before the holdout, after a fit on every row before
    them. ``valid`` is every fold's window together; ``fit`` the rows before all of them (what
    tuning may search); with one fold both are that fold's own.
    """

    fit: np.ndarray
    valid: np.ndarray
    holdout: np.ndarray
    folds: tuple[Fold, ...]

    @property
    def train(self) -> np.ndarray:
        """Rows before the holdout: fit and validation rows (what a refit trains on)."""
        return np.asarray(self.fit | self.valid, dtype=bool)


def period_of(frequency: Frequency) -> np.timedelta64:
    """One period of ``frequency`` in nanoseconds."""
    return np.timedelta64(PERIOD_DAYS[frequency] * 86_400 * 10**9, "ns")


def _per_tenant(value: np.ndarray | None, tenants: int, default: int) -> np.ndarray:
    if value is None:
        return np.full(tenants, default, dtype=np.int64)
    return np.asarray(value, dtype=np.int64)


def grouped_masks(
    codes: np.ndarray,
    timestamps: np.ndarray,
    known: np.ndarray,
    horizon: np.ndarray,
    window: np.ndarray,
    period: np.timedelta64,
    folds: np.ndarray | None = None,
    min_valid_rows: np.ndarray | None = None,
    min_fit_rows: np.ndarray | None = None,
) -> WindowMasks:
    """Windows of many tenants at once: ``codes`` number each row's tenant (0..n-1).

    ``horizon``, ``window`` and the optional ``folds`` (default 1), ``min_valid_rows`` and
    ``min_fit_rows`` are per tenant (indexed by code). Each tenant's holdout starts after its
    last known target minus ``horizon`` periods; its validation folds are the ``window``-period
    windows before that, one after another back in time. A fold beyond the first is used only
    when it and every nearer fold have at least ``min_valid_rows`` rows to score and
    ``min_fit_rows`` rows to fit on, so a short tenant simply has fewer folds. A tenant with no
    known target has no rows in any window.
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
    width = window.astype(np.int64) * step
    wanted = _per_tenant(folds, tenants, 1)
    min_valid = _per_tenant(min_valid_rows, tenants, 1)
    min_fit = _per_tenant(min_fit_rows, tenants, 1)
    row_origin = holdout_origin[codes]
    before = known & (stamps <= row_origin)
    # Which window back from the holdout each row is in: 0 is the one just before it.
    back = np.where(before, (row_origin - stamps) // width[codes], -1)
    used = np.ones(tenants, dtype=bool)  # fold 0 always; check_window_rows judges its size
    fold_masks: list[Fold] = []
    for j in range(int(wanted.max()) if tenants else 1):  # a loop over folds, not tenants
        valid = back == j
        fit = back > j
        if j > 0:
            enough = (
                (np.bincount(codes[valid], minlength=tenants) >= min_valid)
                & (np.bincount(codes[fit], minlength=tenants) >= min_fit)
                & (wanted > j)
            )
            used &= enough
            if not used.any():
                break
            valid, fit = valid & used[codes], fit & used[codes]
        fold_masks.append(Fold(fit=fit, valid=valid))
    in_valid = np.zeros(len(codes), dtype=bool)
    for fold in fold_masks:
        in_valid |= fold.valid
    return WindowMasks(
        fit=before & ~in_valid,
        valid=in_valid,
        holdout=known & (stamps > row_origin),
        folds=tuple(fold_masks),
    )


def tenant_masks(
    timestamps: np.ndarray, known: np.ndarray, spec: FleetSpec, frequency: Frequency
) -> WindowMasks:
    """One tenant's windows under ``spec`` (the same arithmetic as :func:`grouped_masks`)."""
    return grouped_masks(
        np.zeros(len(timestamps), dtype=np.int64),
        timestamps,
        known,
        *window_settings([spec], frequency, period_of(frequency)),
    )


def window_settings(
    specs: Sequence[FleetSpec], frequency: Frequency, period: np.timedelta64
) -> tuple[np.ndarray, np.ndarray, np.timedelta64, np.ndarray, np.ndarray, np.ndarray]:
    """Per-tenant settings for :func:`grouped_masks`, after its first three arguments.

    One function for the task and the pooled stage, so both cut exactly the same windows.
    """
    validations = [spec.validation for spec in specs]
    return (
        np.array([v.horizon for v in validations]),
        np.array([v.validation_window for v in validations]),
        period,
        np.array([v.folds for v in validations]),
        np.array([v.min_rows(frequency) for v in validations]),
        np.array([v.min_train_periods for v in validations]),
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

    def folds(self) -> Iterator[tuple[FeatureFrame, np.ndarray, FeatureFrame, np.ndarray]]:
        """Each validation fold, nearest the holdout first: (fit frame, its target, validation
        frame, its target)."""
        for fold in self.masks.folds:
            yield (
                self.frame(fold.fit),
                np.asarray(self.target[fold.fit]),
                self.frame(fold.valid),
                np.asarray(self.target[fold.valid]),
            )

    def fold_positions(self) -> list[np.ndarray]:
        """Where each fold's rows sit among the validation rows (``y_valid``'s order)."""
        rank = np.cumsum(self.masks.valid) - 1
        return [rank[fold.valid] for fold in self.masks.folds]

    def raw_holdout(self) -> pa.Table:
        """The holdout's raw rows (for encoding in another package's vocabulary)."""
        return self.rows.filter(pa.array(self.masks.holdout))


def check_window_rows(
    tenant: str, masks: WindowMasks, spec: FleetSpec, frequency: Frequency
) -> None:
    """TrainingError naming the window and the setting when a window has too few rows."""
    validation = spec.validation
    needed = validation.min_rows(frequency)
    nearest = masks.folds[0].valid  # further folds are used only where they are big enough
    for name, mask, periods, setting in (
        ("holdout", masks.holdout, validation.horizon, "validation.horizon"),
        ("validation window", nearest, validation.validation_window, "validation.window"),
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
