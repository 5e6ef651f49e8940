"""How the live models do once ground truth arrives: WMAPE, MAE and RMSE against the holdout.

:func:`performance_report` joins the prediction log with the stored actuals by (tenant, date)
(one indexed SQL join in the store; an actual naming a request id answers that request's
predictions only, and one whose request logged no prediction of its date is counted per tenant
as ``unmatched``, not dropped unseen), and aggregates, for all tenants at once (one Arrow
group-by), per tenant, version and arm, over the whole span or per day or week of the dates
predicted. Each figure is set against the version's own holdout WMAPE recorded at training:
``change`` is the relative difference, and a group is **degraded** when it is worse by more
than ``max_drop`` (default 5%) on at least ``min_rows`` predictions. Every logged prediction
with an actual counts, so a date forecast by several requests (or by champion and shadow)
counts once per prediction, in its own arm.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.errors import UsageError
from modelfleet.registry.queries import VersionQuery
from modelfleet.registry.reads import search
from modelfleet.store import MetadataStore

Period = Literal["all", "day", "week"]
DEFAULT_MAX_DROP = 0.05
DEFAULT_MIN_ROWS = 7


@dataclass(frozen=True)
class PerformanceRow:
    """One (tenant, version, arm, period) group's figures against its holdout."""

    tenant: str
    version: str
    arm: str
    period: str  # "all", a date (day), or the Monday of a week
    rows: int
    wmape: float
    mae: float
    rmse: float
    holdout_wmape: float | None
    change: float | None  # (wmape - holdout) / holdout
    degraded: bool


@dataclass(frozen=True)
class PerformanceReport:
    """Every group's figures over a span of predicted dates."""

    fleet: str
    environment: str
    since: datetime
    until: datetime
    by: Period
    max_drop: float
    min_rows: int
    rows: tuple[PerformanceRow, ...]
    # tenant -> actuals of the span naming a request id that logged no prediction of their date
    unmatched: Mapping[str, int] = field(default_factory=dict)

    @property
    def degraded(self) -> tuple[PerformanceRow, ...]:
        """The groups worse than their holdout by more than ``max_drop``."""
        return tuple(r for r in self.rows if r.degraded)


def performance_report(
    store: MetadataStore,
    fleet: str,
    environment: str,
    since: datetime,
    until: datetime,
    *,
    by: Period = "all",
    max_drop: float = DEFAULT_MAX_DROP,
    min_rows: int = DEFAULT_MIN_ROWS,
) -> PerformanceReport:
    """Live WMAPE/MAE/RMSE of ``fleet`` in ``environment`` for dates in ``[since, until)``."""
    if by not in ("all", "day", "week"):
        raise UsageError(f"--by {by!r}: use all, day or week")
    if since >= until:
        raise UsageError("the performance span starts at or after it ends: give --since first")
    joined = store.predictions_with_actuals(fleet, environment, since, until)
    holdout = _holdout_wmape(store, fleet)
    table = pa.table(
        {
            "tenant": pa.array(joined.tenant, pa.string()),
            "version": pa.array(joined.version, pa.string()),
            "arm": pa.array(joined.arm, pa.string()),
            "ts": pa.array(joined.ts, pa.timestamp("us", "UTC")),
            "prediction": pa.array(joined.prediction, pa.float64()),
            "actual": pa.array(joined.actual, pa.float64()),
        }
    )
    table = table.filter(pc.is_valid(table["prediction"]))  # a logged NaN scores nothing
    rows = _aggregate(table, by, holdout, max_drop, min_rows)
    return PerformanceReport(
        fleet, environment, since, until, by, max_drop, min_rows, rows, dict(joined.unmatched)
    )


def _holdout_wmape(store: MetadataStore, fleet: str) -> Mapping[tuple[str, str], float]:
    """(tenant, version) -> the holdout WMAPE recorded at training, for every version."""
    found: dict[tuple[str, str], float] = {}
    for version in search(store, VersionQuery(fleet=fleet, limit=None)):
        value = version.metrics.get("wmape")
        if value is not None and math.isfinite(value):
            found[(version.tenant, str(version.version))] = value
    return found


def _period(stamps: pa.ChunkedArray, by: Period) -> pa.ChunkedArray | pa.Array:
    if by == "all":
        return pa.array(["all"] * len(stamps), pa.string())
    days = pc.floor_temporal(stamps, unit="day")
    if by == "week":
        days = pc.floor_temporal(stamps, unit="week", week_starts_monday=True)
    return pc.strftime(days, format="%Y-%m-%d")


def _aggregate(
    table: pa.Table,
    by: Period,
    holdout: Mapping[tuple[str, str], float],
    max_drop: float,
    min_rows: int,
) -> tuple[PerformanceRow, ...]:
    if table.num_rows == 0:
        return ()
    error = pc.subtract(table["prediction"], table["actual"])
    work = table.append_column("period", _period(table["ts"], by))
    work = work.append_column("abs_error", pc.abs(error))
    work = work.append_column("abs_actual", pc.abs(table["actual"]))
    work = work.append_column("sq_error", pc.multiply(error, error))
    groups = work.group_by(["tenant", "version", "arm", "period"]).aggregate(
        [("abs_error", "sum"), ("abs_actual", "sum"), ("sq_error", "sum"), ("abs_error", "count")]
    )
    n = groups["abs_error_count"].to_numpy()
    abs_error = groups["abs_error_sum"].to_numpy()
    scale = groups["abs_actual_sum"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        wmape = np.where(scale > 0, abs_error / scale, np.nan)
    mae, rmse = abs_error / n, np.sqrt(groups["sq_error_sum"].to_numpy() / n)
    out = []
    columns = zip(
        groups["tenant"].to_pylist(),
        groups["version"].to_pylist(),
        groups["arm"].to_pylist(),
        groups["period"].to_pylist(),
        strict=True,
    )
    for i, (tenant, version, arm, period) in enumerate(columns):
        reference = holdout.get((tenant, version))
        change = None
        if reference is not None and reference > 0 and math.isfinite(wmape[i]):
            change = float(wmape[i] / reference - 1.0)
        out.append(
            PerformanceRow(
                tenant=tenant,
                version=version,
                arm=arm,
                period=period,
                rows=int(n[i]),
                wmape=float(wmape[i]),
                mae=float(mae[i]),
                rmse=float(rmse[i]),
                holdout_wmape=reference,
                change=change,
                degraded=change is not None and change > max_drop and int(n[i]) >= min_rows,
            )
        )
    out.sort(key=lambda r: (r.tenant, r.version, r.arm, r.period))
    return tuple(out)
