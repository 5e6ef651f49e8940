"""Rich tables and JSON lines of ``modelfleet usage``: training cost, serving, errors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from rich import box
from rich.markup import escape
from rich.table import Table

from modelfleet.cli.render import console, natural_key

if TYPE_CHECKING:
    from modelfleet.monitoring.usage import UsageReport


def usage_json(report: UsageReport) -> Iterator[dict[str, Any]]:
    """One ``training`` object per tenant, one ``serving`` object per tenant, version, arm."""
    for row in report.training:
        body = asdict(row)
        at = row.last_started_at
        body["last_started_at"] = None if at is None else at.isoformat()
        yield {"record": "training", **body}
    for serving in report.serving:
        yield {"record": "serving", **asdict(serving)}
    for errors in report.errors:
        yield {"record": "errors", **asdict(errors), "error_rate": errors.error_rate}


def print_usage(report: UsageReport) -> None:
    """Training cost per tenant, then serving per tenant, version and arm."""
    training = Table(box=box.SIMPLE_HEAD, title=f"training cost of {escape(report.fleet)}")
    for name in ("tenant", "runs", "CPU s", "peak MB", "artifacts MB", "last run"):
        training.add_column(name, justify="left" if name in ("tenant", "last run") else "right")
    for row in sorted(report.training, key=lambda r: natural_key(r.tenant)):
        training.add_row(
            escape(row.tenant),
            str(row.runs),
            "-" if row.cpu_seconds is None else f"{row.cpu_seconds:,.1f}",
            "-" if row.peak_rss_mb is None else f"{row.peak_rss_mb:,.0f}",
            f"{row.artifact_bytes / 2**20:,.2f}",
            "-" if row.last_started_at is None else f"{row.last_started_at:%Y-%m-%d %H:%M}",
        )
    console.print(training)
    title = (
        f"serving @ {escape(report.environment)}, {report.since:%Y-%m-%d %H:%M} to "
        f"{report.until:%Y-%m-%d %H:%M} UTC"
    )
    serving = Table(box=box.SIMPLE_HEAD, title=title)
    for name in (
        "tenant",
        "version",
        "arm",
        "requests",
        "predictions",
        "req/s",
        "p50 ms",
        "p99 ms",
    ):
        serving.add_column(name)
    for s in sorted(report.serving, key=lambda r: (natural_key(r.tenant), r.version, r.arm)):
        serving.add_row(
            escape(s.tenant),
            escape(s.version),
            escape(s.arm),
            str(s.requests),
            str(s.predictions),
            f"{s.requests_per_second:.3g}",
            f"{s.p50_ms:.2f}",
            f"{s.p99_ms:.2f}",
        )
    if report.serving:
        console.print(serving)
    else:
        console.print(f"no request was logged for {escape(report.fleet)} in {title[11:]}")
    if report.errors:
        errors = Table(box=box.SIMPLE_HEAD, title="refused (4xx) and failed (5xx) requests")
        for name in ("tenant", "answered", "4xx", "5xx", "error rate"):
            errors.add_column(name, justify="left" if name == "tenant" else "right")
        for e in sorted(report.errors, key=lambda r: natural_key(r.tenant)):
            errors.add_row(
                escape(e.tenant),
                str(e.answered),
                str(e.client_errors),
                str(e.server_errors),
                f"{e.error_rate:.1%}",
            )
        console.print(errors)
