"""Naive baselines every candidate must beat: seasonal naive, training mean, class prior."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from modelfleet.config.spec import Task
from modelfleet.errors import TrainingError
from modelfleet.training.frames import FeatureFrame, check_target

_FORMAT = "modelfleet.baseline"
_CONSTANT_TASK: dict[str, Task] = {"mean": "regression", "prior": "binary_classification"}


@dataclass(frozen=True, eq=False)
class SeasonalNaiveEstimator:
    """Predicts the most recent training value exactly a whole number of seasons earlier."""

    timestamps_ns: np.ndarray  # int64 nanoseconds, ascending
    values: np.ndarray  # float64, one per timestamp
    season: int
    period_ns: int
    fallback: float  # training mean, used when no earlier season has a value
    family: str = "seasonal_naive"

    def predict(self, frame: FeatureFrame) -> np.ndarray:
        """For each t: y(t - k*s*period) for the smallest k>=1 landing in training, else the mean.

        Vectorised as one sorted search: training points are grouped by their phase within a
        season, and each query looks up the latest point of its phase at or before
        ``min(t - s*period, T)``. Off-grid timestamps have no matching phase and get the mean.
        """
        train = self.timestamps_ns
        step = np.int64(self.season) * np.int64(self.period_ns)
        end = train[-1]
        n = len(train)
        # Phases relative to the training end T, so T itself is phase 0 (no large-epoch overflow).
        phases, group = np.unique((train - end) % step, return_inverse=True)
        # Keys sort training points by (phase group, position in time); rank = position + 1.
        order = np.argsort(group, kind="stable")
        keys = group[order].astype(np.int64) * (n + 1) + order + 1

        rel = frame.timestamps.astype(np.int64) - end
        q_group = np.minimum(np.searchsorted(phases, rel % step), len(phases) - 1)
        found = phases[q_group] == rel % step
        # Candidates are t - k*step with k >= 1 that are not after T: rel_candidate <= bound.
        bound = np.minimum(rel - step, 0)
        rank = np.searchsorted(train - end, bound, side="right")
        pos = np.searchsorted(keys, q_group * (n + 1) + rank, side="right") - 1
        safe = np.maximum(pos, 0)
        hit = found & (pos >= 0) & (keys[safe] // (n + 1) == q_group)
        return np.where(hit, self.values[order[safe]], self.fallback)

    def to_bytes(self) -> bytes:
        """Serialise as an ``.npz`` of plain arrays (loaded with ``allow_pickle=False``)."""
        buffer = io.BytesIO()
        np.savez(
            buffer,
            format=np.array(_FORMAT),
            family=np.array(self.family),
            timestamps_ns=self.timestamps_ns,
            values=self.values,
            season=np.int64(self.season),
            period_ns=np.int64(self.period_ns),
            fallback=np.float64(self.fallback),
        )
        return buffer.getvalue()


class SeasonalNaiveFamily:
    """Repeats the last observed season; param ``season`` (periods per season, default 7)."""

    name = "seasonal_naive"

    def fit(
        self, frame: FeatureFrame, target: np.ndarray, task: Task, params: Mapping[str, Any]
    ) -> SeasonalNaiveEstimator:
        """Remember the training series; forecasting needs no estimation beyond the mean."""
        _require_task(self.name, task, "regression")
        _reject_unknown(self.name, params, {"season"})
        season = params.get("season", 7)
        if isinstance(season, bool) or not isinstance(season, int) or season < 1:
            raise TrainingError(
                f"model family 'seasonal_naive': param 'season' must be a positive integer "
                f"number of periods (7 for weekly seasonality on daily data), got {season!r}"
            )
        y = check_target(target, frame.num_rows, task, family=self.name)
        return SeasonalNaiveEstimator(
            timestamps_ns=frame.timestamps.astype(np.int64),
            values=y,
            season=season,
            period_ns=int(frame.period.astype("timedelta64[ns]").astype(np.int64)),
            fallback=float(y.mean()),
        )

    def load(self, blob: bytes) -> SeasonalNaiveEstimator:
        """Rebuild from :meth:`SeasonalNaiveEstimator.to_bytes` without unpickling anything."""
        try:
            with np.load(io.BytesIO(blob), allow_pickle=False) as data:
                if str(data["format"]) != _FORMAT or str(data["family"]) != self.name:
                    raise ValueError("not a seasonal_naive blob")
                return SeasonalNaiveEstimator(
                    timestamps_ns=data["timestamps_ns"].astype(np.int64),
                    values=data["values"].astype(np.float64),
                    season=int(data["season"]),
                    period_ns=int(data["period_ns"]),
                    fallback=float(data["fallback"]),
                )
        except (OSError, ValueError, KeyError) as exc:
            raise TrainingError(
                f"cannot load a 'seasonal_naive' model from these bytes ({exc}); was it saved by "
                "another family? Load it with the family recorded next to the artifact"
            ) from exc


@dataclass(frozen=True)
class ConstantEstimator:
    """Predicts one number for every row: the training mean or the positive-class rate."""

    family: str
    value: float

    def predict(self, frame: FeatureFrame) -> np.ndarray:
        """Return ``value`` for every row of ``frame``."""
        return np.full(frame.num_rows, self.value, dtype=np.float64)

    def to_bytes(self) -> bytes:
        """Serialise as a small JSON document."""
        doc = {"format": _FORMAT, "family": self.family, "value": self.value}
        return json.dumps(doc).encode()


class ConstantFamily:
    """``mean`` (regression) or ``prior`` (binary classification): the simplest honest model."""

    def __init__(self, name: str) -> None:
        if name not in _CONSTANT_TASK:
            raise TrainingError(f"unknown constant baseline {name!r}; use mean or prior")
        self.name = name

    def fit(
        self, frame: FeatureFrame, target: np.ndarray, task: Task, params: Mapping[str, Any]
    ) -> ConstantEstimator:
        """Average the target: the mean for regression, the class-1 rate for binary."""
        _require_task(self.name, task, _CONSTANT_TASK[self.name])
        _reject_unknown(self.name, params, set())
        y = check_target(target, frame.num_rows, task, family=self.name)
        return ConstantEstimator(family=self.name, value=float(y.mean()))

    def load(self, blob: bytes) -> ConstantEstimator:
        """Rebuild from :meth:`ConstantEstimator.to_bytes`."""
        try:
            doc = json.loads(blob)
            if doc["format"] != _FORMAT or doc["family"] != self.name:
                raise ValueError(f"not a {self.name!r} blob")
            return ConstantEstimator(family=self.name, value=float(doc["value"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise TrainingError(
                f"cannot load a {self.name!r} model from these bytes ({exc}); was it saved by "
                "another family? Load it with the family recorded next to the artifact"
            ) from exc


def baseline_family(name: str) -> SeasonalNaiveFamily | ConstantFamily:
    """Return the baseline family called ``name``."""
    if name == SeasonalNaiveFamily.name:
        return SeasonalNaiveFamily()
    return ConstantFamily(name)


def _require_task(family: str, task: Task, expected: Task) -> None:
    """Refuse a baseline that has no meaning for ``task`` instead of scoring nonsense."""
    if task != expected:
        suggestion = "prior" if task == "binary_classification" else "seasonal_naive or mean"
        raise TrainingError(
            f"model family {family!r} is a {expected} baseline, not usable for {task}; "
            f"use {suggestion}"
        )


def _reject_unknown(family: str, params: Mapping[str, Any], allowed: set[str]) -> None:
    """Fail on params the family does not take, naming them and the accepted ones."""
    unknown = sorted(set(params) - allowed)
    if unknown:
        accepted = ", ".join(sorted(allowed)) or "none"
        raise TrainingError(
            f"model family {family!r} does not take param(s) {unknown}; accepted params: {accepted}"
        )
