"""Rich tables and JSON lines of monitoring reports (drift, feedback, performance, report)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from rich import box
from rich.markup import escape
from rich.table import Table

from modelfleet.cli.render import console, natural_key

if TYPE_CHECKING:
    from modelfleet.monitoring.feedback import FeedbackReport
    from modelfleet.monitoring.performance import PerformanceReport
    from modelfleet.monitoring.report import RenderedReport
    from modelfleet.monitoring.service import CheckReport, DriftReport, TenantStatus
    from modelfleet.store.alerts import AlertRow


def drift_json(report: DriftReport) -> Iterator[dict[str, Any]]:
    """One object per tenant (``"record": "tenant"``), per drifted column (``"column"``), per
    tenant left out (``"left_out"``), and a summary first (``"summary"``)."""
    result = report.result
    yield {
        "record": "summary",
        "fleet": report.fleet,
        "environment": report.environment,
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "tenants": len(result.tenants),
        "drifted": sum(t.drifted for t in result.tenants),
        "left_out": len(report.left_out),
        "logged_rows": report.logged_rows,
        "other_rows": report.other_rows,
        "tests": result.tests,
        "policy": asdict(result.policy),
    }
    for tenant in result.tenants:
        body = asdict(tenant)
        body["prediction"] = asdict(tenant.prediction)
        yield {"record": "tenant", "version": report.versions.get(tenant.tenant), **body}
    for column in result.drifted_columns():
        yield {"record": "column", **asdict(column)}
    for name, reason in sorted(report.left_out.items()):
        yield {"record": "left_out", "tenant": name, "reason": reason}


def print_drift(report: DriftReport, *, columns: bool = False) -> None:
    """The tenants, drifted first, with their drifted columns; then what was left out."""
    result = report.result
    drifted = sum(t.drifted for t in result.tenants)
    console.print(
        f"[bold]{escape(report.fleet)}[/] @ {escape(report.environment)}, "
        f"{report.since:%Y-%m-%d %H:%M} to {report.until:%Y-%m-%d %H:%M} UTC: "
        f"{drifted} of {len(result.tenants)} tenant(s) drifted; {report.logged_rows} logged "
        f"row(s), {report.other_rows} of them from versions not live now (not tested)"
    )
    table = Table(box=box.SIMPLE_HEAD)
    for name in ("tenant", "version", "rows", "tested", "drifted columns", "share", "predictions"):
        table.add_column(name, justify="right" if name in ("rows", "tested", "share") else "left")
    order = sorted(result.tenants, key=lambda t: (not t.drifted, natural_key(t.tenant)))
    for tenant in order:
        names = ", ".join(tenant.drifted_columns) or "-"
        prediction = "drifted" if tenant.prediction.drifted else "-"
        style = "red" if tenant.drifted else None
        table.add_row(
            escape(tenant.tenant),
            escape(report.versions.get(tenant.tenant, "-")),
            str(tenant.rows),
            str(tenant.tested),
            escape(names),
            f"{tenant.share:.0%}",
            prediction,
            style=style,
        )
    console.print(table)
    if columns:
        _print_columns(report)
    for name, reason in sorted(report.left_out.items(), key=lambda item: natural_key(item[0])):
        console.print(f"[yellow]not monitored[/] {escape(name)}: {escape(reason)}")


def _print_columns(report: DriftReport) -> None:
    table = Table(box=box.SIMPLE_HEAD, title="drifted columns")
    for name in (
        "tenant",
        "column",
        "kind",
        "rows",
        "statistic",
        "effect",
        "PSI",
        "p adj.",
        "null change",
    ):
        table.add_column(name)
    for c in report.result.drifted_columns():
        table.add_row(
            escape(c.tenant),
            escape(c.column),
            c.kind,
            str(c.rows),
            f"{c.statistic:.3g}",
            f"{c.effect:.3f}",
            "-" if c.psi is None else f"{c.psi:.3f}",
            f"{c.p_adjusted:.2g}",
            f"{c.null_change:+.3f}",
        )
    console.print(table)


def feedback_json(report: FeedbackReport) -> dict[str, Any]:
    """The feedback counts as one object."""
    return {"record": "feedback", **asdict(report), "stored": report.stored}


def print_feedback(report: FeedbackReport) -> None:
    """One line of counts, then what could not be used, by tenant."""
    console.print(
        f"{report.rows} row(s) from {escape(report.source)}: {report.new} new, "
        f"{report.revised} revised, {report.unchanged} unchanged, {report.repeated} repeated "
        f"in the input (the last kept), {report.late} late"
    )
    for tenant, count in sorted(report.unknown_tenants.items(), key=lambda i: natural_key(i[0])):
        console.print(
            f"[yellow]unknown tenant[/] {escape(tenant)}: {count} row(s) not stored (the fleet "
            "has no model of it; check the tenant key)"
        )
    for tenant, count in sorted(report.invalid.items(), key=lambda i: natural_key(i[0])):
        console.print(
            f"[yellow]no value[/] {escape(tenant)}: {count} row(s) without a finite target "
            "value, not stored"
        )
    for tenant, reason in sorted(report.failed.items(), key=lambda i: natural_key(i[0])):
        console.print(f"[red]refused[/] {escape(tenant)}: {escape(reason)}")


def performance_json(report: PerformanceReport) -> Iterator[dict[str, Any]]:
    """A summary object, then one per (tenant, version, arm, period)."""
    yield {
        "record": "summary",
        "fleet": report.fleet,
        "environment": report.environment,
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        "by": report.by,
        "max_drop": report.max_drop,
        "min_rows": report.min_rows,
        "groups": len(report.rows),
        "degraded": len(report.degraded),
        "unmatched": dict(report.unmatched),
    }
    for row in report.rows:
        yield {"record": "group", **asdict(row)}


def print_performance(report: PerformanceReport) -> None:
    """The groups, degraded first."""
    console.print(
        f"[bold]{escape(report.fleet)}[/] @ {escape(report.environment)}, dates "
        f"{report.since:%Y-%m-%d} to {report.until:%Y-%m-%d}: {len(report.degraded)} of "
        f"{len(report.rows)} group(s) worse than their holdout by more than "
        f"{report.max_drop:.0%} (at least {report.min_rows} prediction(s) each)"
    )
    if not report.rows:
        console.print("no logged prediction has an actual yet: send them with modelfleet feedback")
        return
    table = Table(box=box.SIMPLE_HEAD)
    for name in (
        "tenant",
        "version",
        "arm",
        "period",
        "rows",
        "WMAPE",
        "holdout",
        "change",
        "MAE",
        "RMSE",
    ):
        table.add_column(name)
    order = sorted(report.rows, key=lambda r: (not r.degraded, natural_key(r.tenant), r.period))
    for row in order:
        table.add_row(
            escape(row.tenant),
            escape(row.version),
            escape(row.arm),
            row.period,
            str(row.rows),
            f"{row.wmape:.4f}",
            "-" if row.holdout_wmape is None else f"{row.holdout_wmape:.4f}",
            "-" if row.change is None else f"{row.change:+.1%}",
            f"{row.mae:.4g}",
            f"{row.rmse:.4g}",
            style="red" if row.degraded else None,
        )
    console.print(table)
    if report.unmatched:
        listed = ", ".join(f"{escape(t)} ({n})" for t, n in sorted(report.unmatched.items()))
        console.print(
            f"[yellow]actuals naming a request that logged no prediction of their date, "
            f"not counted:[/] {listed}"
        )


def alert_json(alert: AlertRow) -> dict[str, Any]:
    """An alert as one JSON object (times ISO, figures parsed)."""
    import json

    body = asdict(alert)
    for name in ("opened_at", "last_seen_at", "resolved_at", "acked_at"):
        value = body[name]
        body[name] = None if value is None else value.isoformat()
    body["figures"] = json.loads(alert.figures)
    return {"record": "alert", **body}


def print_alerts(found: list[AlertRow]) -> None:
    """Alerts as a table, newest first."""
    if not found:
        console.print("no alert")
        return
    table = Table(box=box.SIMPLE_HEAD)
    for name in (
        "id",
        "fleet",
        "env",
        "tenant",
        "kind",
        "version",
        "state",
        "since",
        "acked",
        "message",
    ):
        table.add_column(name)
    for a in found:
        table.add_row(
            str(a.id),
            escape(a.fleet),
            escape(a.environment),
            escape(a.tenant),
            a.kind,
            escape(a.version or "-"),
            a.state,
            f"{a.opened_at:%Y-%m-%d %H:%M}",
            escape(a.acked_by or "-"),
            escape(a.message),
            style="red" if a.state == "open" and a.acked_at is None else None,
        )
    console.print(table)


def check_json(report: CheckReport) -> Iterator[dict[str, Any]]:
    """A summary, then each alert opened, still open, and resolved."""
    yield {
        "record": "check",
        "fleet": report.fleet,
        "environment": report.environment,
        "at": report.at.isoformat(),
        "tenants_monitored": len(report.drift.result.tenants),
        "drifted": sum(t.drifted for t in report.drift.result.tenants),
        "degraded": len(report.performance.degraded),
        "opened": len(report.opened),
        "still_open": len(report.still_open),
        "resolved": len(report.resolved),
        "sink_failures": list(report.sink_failures),
    }
    for label, alerts in (
        ("opened", report.opened),
        ("still_open", report.still_open),
        ("resolved", report.resolved),
    ):
        for alert in alerts:
            yield {**alert_json(alert), "change": label}


def print_check(report: CheckReport) -> None:
    """One line of what the check found, the alerts it changed, and sink failures."""
    drifted = sum(t.drifted for t in report.drift.result.tenants)
    console.print(
        f"[bold]{escape(report.fleet)}[/] @ {escape(report.environment)}: {drifted} tenant(s) "
        f"drifted, {len(report.performance.degraded)} group(s) degraded; alerts: "
        f"{len(report.opened)} opened, {len(report.still_open)} still open, "
        f"{len(report.resolved)} resolved"
    )
    changed = [*report.opened, *report.resolved]
    if changed:
        print_alerts(changed)
    for failure in report.sink_failures:
        console.print(f"[red]alert sink failed[/] {escape(failure)} (the alerts are stored)")


def status_json(found: list[TenantStatus]) -> Iterator[dict[str, Any]]:
    """One object per tenant: live version, healthy, open alerts."""
    for item in found:
        yield {
            "record": "tenant",
            "tenant": item.tenant,
            "version": item.version,
            "healthy": item.healthy,
            "alerts": [alert_json(a) for a in item.alerts],
        }


def print_status(fleet: str, environment: str, found: list[TenantStatus]) -> None:
    """A summary line, then the tenants, unhealthy first."""
    live = sum(item.version is not None for item in found)
    alerting = sum(bool(item.alerts) for item in found)
    console.print(
        f"[bold]{escape(fleet)}[/] @ {escape(environment)}: {len(found)} tenant(s), {live} live, "
        f"{alerting} with open alerts, {len(found) - live} with nothing live"
    )
    table = Table(box=box.SIMPLE_HEAD)
    for name in ("tenant", "version", "state", "open alerts"):
        table.add_column(name)
    order = sorted(found, key=lambda item: (item.healthy, natural_key(item.tenant)))
    for item in order:
        kinds = ", ".join(f"{a.kind} (#{a.id})" for a in item.alerts) or "-"
        state = "ok" if item.healthy else ("not live" if item.version is None else "alerting")
        table.add_row(
            escape(item.tenant),
            escape(item.version or "-"),
            state,
            escape(kinds),
            style=None if item.healthy else "red",
        )
    console.print(table)


def report_json(made: RenderedReport) -> dict[str, Any]:
    """The written report in one object: where, how big, how many tenants and charted."""
    r = made.report
    return {
        "record": "report",
        "path": str(made.path) if made.path else None,
        "bytes": made.bytes,
        **{"tenants": len(r.lines), "plotted": len(r.sections), "left_over": r.left_over},
        **{"drifted": r.drifted, "degraded": r.degraded, "fleet": r.fleet},
    }


def print_report(made: RenderedReport) -> None:
    """Where the page went and its size, and what it holds."""
    body = report_json(made)
    console.print(f"wrote {escape(str(made.path))} ({made.bytes / 1024:,.0f} KB)")
    table = Table(box=box.SIMPLE_HEAD)
    names = ("tenants", "drifted", "degraded", "plotted", "left_over", "bytes")
    for name in names:
        table.add_column(name.replace("_", " "), justify="right")
    table.add_row(*(f"{body[name]:,}" for name in names))
    console.print(table)
