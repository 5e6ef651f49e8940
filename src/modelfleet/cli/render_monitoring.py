"""Rich tables and JSON lines of drift reports (``modelfleet monitor drift``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from rich import box
from rich.markup import escape
from rich.table import Table

from modelfleet.cli.render import console, natural_key

if TYPE_CHECKING:
    from modelfleet.monitoring.service import DriftReport


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
