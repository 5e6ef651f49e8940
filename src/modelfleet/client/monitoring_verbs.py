"""The client's monitoring verbs (drift, ground truth, performance, report), as a part of
:class:`Client`.

They read the home's prediction log and the versions' profiles in this process, so they work
on a local home; a client of a control plane is told so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from modelfleet.client.local import LocalPlane
from modelfleet.client.plane import Plane
from modelfleet.config.spec import FleetSpec, load_spec
from modelfleet.config.specs import SpecLike, load_spec_like
from modelfleet.data.batch import BatchLocation
from modelfleet.errors import UsageError
from modelfleet.monitoring.feedback import Actual, FeedbackReport
from modelfleet.monitoring.performance import PerformanceReport, Period
from modelfleet.monitoring.report import (
    DEFAULT_MAX_TENANTS,
    RenderedReport,
    build_report,
    check_out,
    render_html,
    write_html,
)
from modelfleet.monitoring.service import (
    CheckReport,
    DriftReport,
    TenantStatus,
    check,
    drift_report,
    feedback,
    performance,
    status,
    usage,
)
from modelfleet.monitoring.usage import UsageReport
from modelfleet.registry.reads import ArtifactStores
from modelfleet.store.alerts import AlertRow


class MonitoringVerbs:
    """drift, feedback, performance, usage, checks, alerts and the report, for a client with a
    ``plane``."""

    plane: Plane

    def _local(self, verb: str) -> LocalPlane:
        raise NotImplementedError  # the Client's own

    def drift(
        self,
        spec: SpecLike,
        *,
        environment: str = "prod",
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> DriftReport:
        """Drift of every live version of the fleet in ``environment`` over the logged
        predictions of ``[since, until)`` (default: the spec's ``monitoring.drift.window``)."""
        local = self._local("drift")
        loaded = spec if isinstance(spec, FleetSpec) else load_spec(spec, environment)
        stores = ArtifactStores(local.settings.artifacts_url)
        return drift_report(
            local.metadata_store(), stores, loaded, environment, since=since, until=until
        )

    def feedback(
        self,
        spec: SpecLike,
        where: str | Path | BatchLocation,
        *,
        source: str | None = None,
    ) -> FeedbackReport:
        """Store ground truth from a file (or ``BatchLocation(query=..., url=...)``) in the
        fleet's own format; every row is counted as new, revised, unchanged, repeated,
        invalid, late or of an unknown tenant."""
        local = self._local("feedback")
        loaded = spec if isinstance(spec, FleetSpec) else load_spec(spec)
        return feedback(local.metadata_store(), loaded, BatchLocation.of(where), source=source)

    def feedback_records(
        self, fleet: str, actuals: Sequence[Actual], *, spec: SpecLike | None = None
    ) -> FeedbackReport:
        """Store ground truth given as records, all or none (a bad record refuses the batch,
        naming it); works over a server too, where the server's spec of the fleet applies."""
        return self.plane.feedback(fleet, list(actuals), load_spec_like(spec))

    def performance(
        self,
        spec: SpecLike,
        *,
        environment: str = "prod",
        since: datetime | None = None,
        until: datetime | None = None,
        by: Period = "all",
    ) -> PerformanceReport:
        """Live WMAPE/MAE/RMSE per tenant, version and arm (and day or week with ``by``)
        against each version's holdout, for predicted dates in ``[since, until)``."""
        local = self._local("performance")
        loaded = spec if isinstance(spec, FleetSpec) else load_spec(spec, environment)
        return performance(
            local.metadata_store(), loaded, environment, since=since, until=until, by=by
        )

    def usage(
        self,
        fleet: str,
        *,
        environment: str = "prod",
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> UsageReport:
        """Per tenant: training runs, CPU seconds, peak memory, artifact bytes; per tenant,
        version and arm: requests, predictions, throughput and latency over the span."""
        local = self._local("usage")
        return usage(local.metadata_store(), fleet, environment, since=since, until=until)

    def check(self, spec: SpecLike, *, environment: str = "prod") -> CheckReport:
        """Drift and performance over the spec's windows; alerts opened, refreshed and
        resolved, openings and resolutions sent to the spec's sinks."""
        local = self._local("check")
        loaded = spec if isinstance(spec, FleetSpec) else load_spec(spec, environment)
        stores = ArtifactStores(local.settings.artifacts_url)
        return check(local.metadata_store(), stores, loaded, environment)

    def report(
        self,
        spec: SpecLike,
        *,
        environment: str = "prod",
        since: datetime | None = None,
        until: datetime | None = None,
        by: Period = "week",
        max_tenants: int = DEFAULT_MAX_TENANTS,
        out: str | Path | None = None,
    ) -> RenderedReport:
        """The fleet report as one self-contained HTML page (``.html``), written atomically to
        ``out`` when given: every tenant's drift, performance and alerts in a sortable table,
        charts for up to ``max_tenants`` tenants (drifted, then degraded, first)."""
        local = self._local("report")
        path = Path(out) if out is not None else None
        if path is not None:
            check_out(path)  # a wrong --out is told before the fleet is read, not after
        loaded = spec if isinstance(spec, FleetSpec) else load_spec(spec, environment)
        stores = ArtifactStores(local.settings.artifacts_url)
        built = build_report(
            local.metadata_store(),
            stores,
            loaded,
            environment,
            since=since,
            until=until,
            by=by,
            max_tenants=max_tenants,
        )
        html = render_html(built)
        size = write_html(html, path) if path is not None else len(html.encode())
        return RenderedReport(built, html, path, size)

    def alerts(
        self,
        *,
        fleet: str | None = None,
        environment: str | None = None,
        state: str | None = "open",
        limit: int = 1000,
    ) -> list[AlertRow]:
        """Alerts, newest first (``state`` open, resolved, or None for both)."""
        if state not in (None, "open", "resolved"):
            raise UsageError(f"state {state!r}: use open, resolved or all")
        local = self._local("alerts")
        return local.metadata_store().list_alerts(fleet, environment, state, limit)

    def ack_alert(self, alert_id: int) -> None:
        """Record that this client's caller has seen an alert (it stays open until resolved)."""
        local = self._local("alerts ack")
        store = local.metadata_store()
        store.ack_alert(alert_id, local.caller.principal, datetime.now(UTC))

    def status(self, fleet: str, *, environment: str = "prod") -> list[TenantStatus]:
        """Every tenant of ``fleet``: its live version in ``environment`` and open alerts."""
        local = self._local("status")
        return status(local.metadata_store(), fleet, environment)
