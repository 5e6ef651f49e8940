"""Alerts from monitoring checks: breaches found, planned against the alerts already open.

A check (drift, performance) yields :class:`Breach` records and the (tenant, kind) pairs it
could judge. :func:`plan_alerts` is pure: a breach with no open alert of its (tenant, kind)
opens one; a breach whose alert is open only refreshes it (no second alert, nothing sent: the
de-duplication); an open alert whose (tenant, kind) was judged and found clear is resolved. A
tenant the check could not judge (no rows, no profile) keeps its alerts as they are.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from modelfleet.monitoring.drift import FleetDrift
from modelfleet.monitoring.performance import PerformanceReport
from modelfleet.store.alerts import AlertRow

AlertKind = Literal["drift", "performance"]


@dataclass(frozen=True)
class Breach:
    """One tenant's breach of one kind, with the figures that show it."""

    tenant: str
    kind: AlertKind
    version: str | None
    message: str
    figures: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AlertPlan:
    """What a check changes: alerts to open, open ones seen again, open ones to resolve."""

    opened: tuple[Breach, ...]
    seen: tuple[tuple[AlertRow, Breach], ...]
    resolved: tuple[AlertRow, ...]


def plan_alerts(
    open_alerts: Sequence[AlertRow],
    breaches: Sequence[Breach],
    judged: Collection[tuple[str, str]],
) -> AlertPlan:
    """The changes of one check (module doc); ``judged`` are the (tenant, kind) it could judge."""
    current = {(a.tenant, a.kind): a for a in open_alerts}
    found = {(b.tenant, b.kind): b for b in breaches}
    opened = tuple(b for key, b in found.items() if key not in current)
    seen = tuple((current[key], b) for key, b in found.items() if key in current)
    resolved = tuple(a for key, a in current.items() if key in judged and key not in found)
    return AlertPlan(opened, seen, resolved)


def drift_breaches(
    result: FleetDrift, versions: Mapping[str, str]
) -> tuple[list[Breach], set[tuple[str, str]]]:
    """A breach per drifted tenant; judged: every tenant with at least one tested column."""
    breaches, judged = [], set()
    for tenant in result.tenants:
        if tenant.tested == 0:
            continue
        judged.add((tenant.tenant, "drift"))
        if tenant.drifted:
            columns = ", ".join(tenant.drifted_columns)
            breaches.append(
                Breach(
                    tenant=tenant.tenant,
                    kind="drift",
                    version=versions.get(tenant.tenant),
                    message=(
                        f"{len(tenant.drifted_columns)} of {tenant.tested} input columns "
                        f"drifted ({tenant.share:.0%} > {result.policy.drift_share:.0%}): "
                        f"{columns}"
                    ),
                    figures={
                        "share": tenant.share,
                        "tested": tenant.tested,
                        "drifted_columns": list(tenant.drifted_columns),
                        "rows": tenant.rows,
                        "prediction_drifted": tenant.prediction.drifted,
                    },
                )
            )
    return breaches, judged


def performance_breaches(
    report: PerformanceReport,
) -> tuple[list[Breach], set[tuple[str, str]]]:
    """A breach per tenant whose champion is degraded; judged: tenants whose champion has a
    group with enough predictions to judge."""
    breaches: dict[str, Breach] = {}
    judged = set()
    for row in report.rows:
        if row.arm != "champion" or row.rows < report.min_rows or row.change is None:
            continue
        judged.add((row.tenant, "performance"))
        if row.degraded and row.tenant not in breaches:
            breaches[row.tenant] = Breach(
                tenant=row.tenant,
                kind="performance",
                version=row.version,
                message=(
                    f"live WMAPE {row.wmape:.4f} is {row.change:+.1%} against the holdout's "
                    f"{row.holdout_wmape:.4f} over {row.rows} prediction(s) ({row.period})"
                ),
                figures={
                    "wmape": row.wmape,
                    "holdout_wmape": row.holdout_wmape,
                    "change": row.change,
                    "rows": row.rows,
                    "period": row.period,
                    "mae": row.mae,
                    "rmse": row.rmse,
                },
            )
    return list(breaches.values()), judged
