"""One tenant's column as the drift tests binned it, for charts (the report, the dashboard).

Binned exactly as :func:`~modelfleet.monitoring.drift.fleet_drift` bins it: numbers at the
profile's cuts, categories by code, so a chart shows what the verdict saw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from modelfleet.errors import UsageError
from modelfleet.monitoring.drift import PREDICTION, FleetWindow
from modelfleet.training.profiles import bin_index


@dataclass(frozen=True, eq=False)
class Distribution:
    """One column of one tenant as the tests see it: per bin, the share of training values
    (``reference``) and of the window's (``current``); numeric bins are cut at ``edges`` (the
    profile's cuts: bin ``i`` holds ``edges[i-1] <= v < edges[i]``), categorical bins are codes."""

    column: str
    kind: str  # numeric | categorical | prediction
    edges: np.ndarray
    reference: np.ndarray
    current: np.ndarray
    rows: int  # current values binned (nulls and unknown codes are not)


def distribution(window: FleetWindow, tenant: str, column: str) -> Distribution:
    """(edges, reference share, current share) of ``column`` (or ``PREDICTION``) of ``tenant``
    in ``window``, binned by the tenant's profile, for charts; UsageError if it has none."""
    if tenant not in window.tenants:
        raise UsageError(f"tenant {tenant!r} was not part of this drift window")
    t = window.tenants.index(tenant)
    rows = window.tenant_index == t
    if column == PREDICTION:
        ref, values = window.profiles[t].predictions, window.predictions[rows]
    else:
        ref = window.profiles[t].feature(column)  # PackageError naming the columns it has
        if column not in window.columns:
            raise UsageError(f"tenant {tenant}: the window has no column {column!r}")
        carried = window.logged.get(column) if window.logged else None
        values = window.columns[column][rows if carried is None else rows & carried]
    values = values[~np.isnan(values)]
    if ref.kind == "numeric":
        edges = np.asarray(ref.cuts, dtype=np.float64)
        current = np.bincount(bin_index(edges, values), minlength=edges.size + 1)
    else:
        edges = np.arange(len(ref.counts), dtype=np.float64)
        codes = values[(values >= 0) & (values < edges.size)].astype(np.int64)
        current = np.bincount(codes, minlength=edges.size)  # unknown codes count as nulls
    counts = np.asarray(ref.counts, dtype=np.float64)
    kind = PREDICTION if column == PREDICTION else ref.kind
    binned = int(current.sum())
    reference = counts / max(counts.sum(), 1.0)
    return Distribution(column, kind, edges, reference, current / max(binned, 1), binned)
