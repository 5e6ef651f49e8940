"""The monitoring use cases, with the fleet spec's ``monitoring:`` settings applied.

* :func:`drift_report` (``modelfleet monitor drift``): read the window (:mod:`.windows`), run
  the fleet-wide tests (:mod:`.drift`) with the ``monitoring.drift`` thresholds, and say what
  was tested, what was left out and why;
* :func:`feedback` (``modelfleet feedback``): store ground truth (:mod:`.feedback`);
* :func:`performance` (``modelfleet monitor performance``): live metrics against the holdout
  (:mod:`.performance`);
* :func:`usage` (``modelfleet usage``): training cost and serving per tenant (:mod:`.usage`);
* :func:`status` (``modelfleet monitor status``): each tenant's live version and open alerts;
* :func:`check` (``modelfleet monitor check``): drift and performance together, alerts opened,
  refreshed and resolved (:mod:`.alerts`) and sent to the spec's sinks (:mod:`.sinks`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from modelfleet.config.feature_blocks import parse_duration
from modelfleet.config.monitoring_blocks import DriftSpec
from modelfleet.config.spec import FleetSpec
from modelfleet.data.batch import BatchLocation
from modelfleet.errors import UsageError
from modelfleet.features.clock import as_utc
from modelfleet.monitoring.alerts import Breach, drift_breaches, performance_breaches, plan_alerts
from modelfleet.monitoring.drift import DriftPolicy, FleetDrift, fleet_drift
from modelfleet.monitoring.feedback import FeedbackReport, ingest_feedback
from modelfleet.monitoring.performance import PerformanceReport, Period, performance_report
from modelfleet.monitoring.sinks import AlertEvent, dispatch, open_sinks
from modelfleet.monitoring.usage import UsageReport, usage_report
from modelfleet.monitoring.windows import live_window
from modelfleet.registry.queries import VersionQuery
from modelfleet.registry.reads import ArtifactStores, search
from modelfleet.registry.refs import check_alias
from modelfleet.store import MetadataStore
from modelfleet.store.alerts import AlertRow, NewAlertRow


@dataclass(frozen=True, eq=False)
class DriftReport:
    """One drift pass: the span, what was monitored and left out, and the verdicts."""

    fleet: str
    environment: str
    since: datetime
    until: datetime
    versions: Mapping[str, str]  # tenant -> version monitored
    logged_rows: int
    other_rows: int  # rows of versions not live now: counted, not tested
    left_out: Mapping[str, str]  # tenant -> why it was not monitored
    result: FleetDrift


def policy_of(spec: DriftSpec) -> DriftPolicy:
    """The verdict thresholds of a spec's ``monitoring.drift`` block."""
    return DriftPolicy(
        alpha=spec.alpha,
        min_ks=spec.min_ks,
        min_js=spec.min_js,
        min_null_change=spec.min_null_change,
        min_rows=spec.min_rows,
        drift_share=spec.drift_share,
        psi_bins=spec.psi_bins,
        exclude=spec.excluded,
    )


def drift_report(
    store: MetadataStore,
    stores: ArtifactStores,
    spec: FleetSpec,
    environment: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> DriftReport:
    """Drift of every live version of ``spec``'s fleet in ``environment`` over ``[since,
    until)`` (default: the spec's ``monitoring.drift.window`` up to now)."""
    environment = check_alias(environment)
    block = spec.monitoring.drift
    since, until = _span(since, until, block.window_span)
    if since >= until:
        raise UsageError(
            f"the drift window starts ({since.isoformat()}) at or after it ends "
            f"({until.isoformat()}): give a --since before --until"
        )
    live = live_window(store, stores, spec.name, environment, since, until)
    return DriftReport(
        fleet=spec.name,
        environment=environment,
        since=since,
        until=until,
        versions=live.versions,
        logged_rows=live.logged_rows,
        other_rows=live.other_rows,
        left_out=live.left_out,
        result=fleet_drift(live.window, policy_of(block)),
    )


def _span(
    since: datetime | None, until: datetime | None, back: timedelta
) -> tuple[datetime, datetime]:
    """``[since, until)`` in UTC: ``until`` defaults to now, ``since`` to ``back`` before it."""
    end = as_utc(until) if until is not None else datetime.now(UTC)
    return (as_utc(since) if since is not None else end - back), end


def feedback(
    store: MetadataStore,
    spec: FleetSpec,
    where: BatchLocation,
    *,
    source: str | None = None,
    now: datetime | None = None,
) -> FeedbackReport:
    """Store the actuals of ``where`` with the spec's lateness setting."""
    block = spec.monitoring.performance
    return ingest_feedback(
        store, spec, where, source=source, now=now, max_delay=parse_duration(block.max_delay)
    )


def performance(
    store: MetadataStore,
    spec: FleetSpec,
    environment: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    by: Period = "all",
) -> PerformanceReport:
    """Live performance of ``spec``'s fleet over predicted dates in ``[since, until)``
    (default: the spec's ``monitoring.performance.window`` up to now)."""
    environment = check_alias(environment)
    block = spec.monitoring.performance
    since, until = _span(since, until, parse_duration(block.window))
    return performance_report(
        store,
        spec.name,
        environment,
        since,
        until,
        by=by,
        max_drop=block.max_drop,
        min_rows=block.min_rows,
    )


def usage(
    store: MetadataStore,
    fleet: str,
    environment: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    window: timedelta = timedelta(days=7),
) -> UsageReport:
    """Training cost per tenant, and serving over ``[since, until)`` (default: ``window``
    back from now)."""
    environment = check_alias(environment)
    since, until = _span(since, until, window)
    if since >= until:
        raise UsageError("the usage span starts at or after it ends: give --since first")
    return usage_report(store, fleet, environment, since, until)


@dataclass(frozen=True, eq=False)
class CheckReport:
    """One monitoring check: what it judged, the alerts it opened, refreshed and resolved."""

    fleet: str
    environment: str
    at: datetime
    drift: DriftReport
    performance: PerformanceReport
    opened: tuple[AlertRow, ...]
    still_open: tuple[AlertRow, ...]
    resolved: tuple[AlertRow, ...]
    sink_failures: tuple[str, ...]


def check(
    store: MetadataStore,
    stores: ArtifactStores,
    spec: FleetSpec,
    environment: str,
    *,
    now: datetime | None = None,
) -> CheckReport:
    """Run drift and performance over the spec's windows, then open, refresh and resolve
    alerts and send openings and resolutions to the spec's sinks."""
    environment = check_alias(environment)
    at = as_utc(now) if now is not None else datetime.now(UTC)
    drift = drift_report(store, stores, spec, environment, until=at)
    perf = performance(store, spec, environment, until=at)
    found_drift, judged_drift = drift_breaches(drift.result, drift.versions)
    found_perf, judged_perf = performance_breaches(perf)
    current = store.list_alerts(spec.name, environment, "open", limit=1_000_000)
    plan = plan_alerts(current, [*found_drift, *found_perf], judged_drift | judged_perf)
    ids = store.apply_alerts(
        [_new_row(spec.name, environment, b, at) for b in plan.opened],
        [(a.id, b.version, b.message, _figures(b)) for a, b in plan.seen],
        [a.id for a in plan.resolved],
        at,
    )
    after = {a.id: a for a in store.list_alerts(spec.name, environment, limit=1_000_000)}
    opened = tuple(after[i] for i in ids)
    resolved = tuple(after[a.id] for a in plan.resolved)
    events = [_event("opened", a, at) for a in opened] + [
        _event("resolved", a, at) for a in resolved
    ]
    sinks = open_sinks(spec.monitoring.alerts.sinks, Path(spec.base_dir))
    failures = dispatch(sinks, events) if events else []
    return CheckReport(
        fleet=spec.name,
        environment=environment,
        at=at,
        drift=drift,
        performance=perf,
        opened=opened,
        still_open=tuple(after[a.id] for a, _ in plan.seen),
        resolved=resolved,
        sink_failures=tuple(failures),
    )


def _figures(breach: Breach) -> str:
    return json.dumps(dict(breach.figures), default=str, sort_keys=True)


def _new_row(fleet: str, environment: str, breach: Breach, at: datetime) -> NewAlertRow:
    return NewAlertRow(
        fleet=fleet,
        tenant=breach.tenant,
        environment=environment,
        kind=breach.kind,
        version=breach.version,
        message=breach.message,
        figures=_figures(breach),
        at=at,
    )


def _event(kind: str, alert: AlertRow, at: datetime) -> AlertEvent:
    return AlertEvent(
        event=kind,
        alert_id=alert.id,
        fleet=alert.fleet,
        environment=alert.environment,
        tenant=alert.tenant,
        kind=alert.kind,
        version=alert.version,
        message=alert.message,
        figures=json.loads(alert.figures),
        at=at.isoformat(),
    )


@dataclass(frozen=True)
class TenantStatus:
    """One tenant's health in an environment: its live version and its open alerts."""

    tenant: str
    version: str | None
    alerts: tuple[AlertRow, ...]

    @property
    def healthy(self) -> bool:
        """A live version and no open alert."""
        return self.version is not None and not self.alerts


def status(store: MetadataStore, fleet: str, environment: str) -> list[TenantStatus]:
    """Every tenant with a version of ``fleet``: what is live in ``environment``, what is open."""
    environment = check_alias(environment)
    live = {
        v.tenant: str(v.version)
        for v in search(store, VersionQuery(fleet=fleet, environment=environment, limit=None))
    }
    known = {
        v.tenant for v in search(store, VersionQuery(fleet=fleet, latest_only=True, limit=None))
    }
    open_alerts: dict[str, list[AlertRow]] = {}
    for alert in store.list_alerts(fleet, environment, "open", limit=1_000_000):
        open_alerts.setdefault(alert.tenant, []).append(alert)
    return [
        TenantStatus(tenant, live.get(tenant), tuple(open_alerts.get(tenant, ())))
        for tenant in sorted(known | set(open_alerts))
    ]
