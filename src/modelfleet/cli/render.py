"""Rich tables, progress and JSON shapes for the CLI (people get tables, scripts get JSON)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from modelfleet.cli.context import print_json_lines
from modelfleet.cli.signals import exit_code, stop_message
from modelfleet.quoting import excerpt

if TYPE_CHECKING:
    from modelfleet.client import Client
    from modelfleet.data.canonical import FleetData
    from modelfleet.pipeline.runner import FleetRunSummary
    from modelfleet.tracking.records import TenantRunRecord

console = Console(highlight=False)
STATUS_STYLE = {"succeeded": "green", "rejected": "yellow", "failed": "red"}


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts store "2" before store "10"."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part
    )


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4g}"


class RichListener:
    """A progress bar with done/rejected/failed counts and an ETA."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "[green]{task.fields[ok]} ok[/] [yellow]{task.fields[rejected]} rejected[/] "
                "[red]{task.fields[failed]} failed[/]"
            ),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task_id = self.progress.add_task("preparing", total=None, ok=0, rejected=0, failed=0)
        self.counts = {"succeeded": 0, "rejected": 0, "failed": 0}

    def __enter__(self) -> RichListener:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def stage(self, message: str) -> None:
        """Show the current coarse step."""
        self.progress.update(self.task_id, description=message)

    def started(self, total: int, skipped: int) -> None:
        """Size the bar; say how many tenants were skipped as already done."""
        if skipped:
            console.print(
                f"skipping {skipped} tenant(s) already trained with this config and data "
                "(use --force to retrain)"
            )
        self.progress.update(self.task_id, total=total)

    def tenant_finished(self, record: TenantRunRecord) -> None:
        """Advance the bar and the status counters."""
        self.counts[record.status] = self.counts.get(record.status, 0) + 1
        self.progress.update(
            self.task_id,
            advance=1,
            ok=self.counts["succeeded"],
            rejected=self.counts["rejected"],
            failed=self.counts["failed"],
        )


def train_with_progress(
    client: Client,
    spec: Path,
    environment: str,
    *,
    force: bool = False,
    tenants: Sequence[str] | None = None,
    executor: str | None = None,
    allow_identical: bool = False,
) -> FleetRunSummary:
    """Train with a progress bar; Ctrl-C says how to resume and exits 130."""
    try:
        with RichListener() as listener:
            return client.train(
                spec,
                environment,
                force=force,
                tenants=tenants,
                executor=executor,
                listener=listener,
                allow_identical=allow_identical,
            )
    except KeyboardInterrupt as exc:
        # Typer swallows KeyboardInterrupt before the entry point sees it, so say it here.
        Console(stderr=True).print(f"[yellow]{stop_message(exc)}[/]")
        raise typer.Exit(exit_code(exc)) from None


def print_summary(summary: FleetRunSummary, *, max_rows: int = 40) -> None:
    """The end-of-run table: one row per tenant with its metric against the baseline."""
    for continued in summary.continues:
        console.print(
            f"continued fleet run {continued[:8]}: its process had died; its finished "
            "tenants were kept, the others trained in this run"
        )
    if not summary.records:
        for finding in summary.findings:
            console.print(f"[yellow]{finding.severity}[/] {finding.message}")
        console.print(
            f"[bold]{summary.status}[/]: nothing to train, {len(summary.skipped)} tenant(s) "
            f"already done{_still_failing(summary)} in {summary.duration_seconds:.1f}s "
            "(use --force to retrain)"
        )
        return
    records = sorted(
        summary.records,
        key=lambda r: ({"failed": 0, "rejected": 1}.get(r.status, 2), natural_key(r.tenant)),
    )
    metric = next(
        (str(r.params.get("gates.metric")) for r in records if "gates.metric" in r.params), None
    )
    table = Table(
        title=f"fleet {summary.fleet} · {summary.environment} · run {summary.fleet_run_id[:8]}"
    )
    table.add_column("tenant")
    table.add_column("status")
    table.add_column(f"{metric or 'metric'}", justify="right")
    table.add_column("baseline", justify="right")
    table.add_column("version", no_wrap=True)
    table.add_column("note", overflow="fold")
    for record in records[:max_rows]:
        value = record.metrics.get(metric) if metric else None
        base = record.baseline_metrics.get(metric) if metric else None
        style = STATUS_STYLE.get(record.status, "")
        table.add_row(
            record.tenant,
            f"[{style}]{record.status}[/]",
            _fmt(value),
            _fmt(base),
            summary.versions.get(record.tenant, "-"),
            record.reason or "",
        )
    if len(records) > max_rows:
        table.caption = (
            f"{len(records) - max_rows} more: modelfleet runs list --fleet {summary.fleet}"
        )
    console.print(table)
    for finding in summary.findings:
        console.print(f"[yellow]{finding.severity}[/] {finding.message}")
    for tenant, why in sorted(summary.unregistered.items()):
        console.print(f"[red]not registered[/] {escape(excerpt(tenant))}: {escape(why)}")
    for tenant, why in sorted(summary.unrecorded.items()):
        console.print(f"[red]not recorded[/] {escape(excerpt(tenant))}: {escape(why)}")
    if summary.reused:
        console.print(
            f"{len(summary.reused)} tenant(s) retrained to exactly their registered version "
            "(same data, spec and signature): that version was kept, no new one made "
            "(--allow-identical makes one anyway)"
        )
    failed = summary.count("failed") + len(summary.unrecorded) + summary.invalid_ids
    invalid = f" ({summary.invalid_ids} with an invalid id)" if summary.invalid_ids else ""
    console.print(
        f"[bold]{summary.status}[/]: [green]{summary.count('succeeded')} succeeded[/], "
        f"[yellow]{summary.count('rejected')} rejected[/], "
        f"[red]{failed} failed[/]{invalid}, "
        f"{len(summary.skipped)} skipped{_still_failing(summary)} in "
        f"{summary.duration_seconds:.1f}s"
    )


def _still_failing(summary: FleetRunSummary) -> str:
    """', N still failing (…)' for tenants whose failure on the same data is already recorded."""
    if not summary.still_failing:
        return ""
    return (
        f", {len(summary.still_failing)} still failing on the same data (recorded before: "
        f"modelfleet runs list --fleet {summary.fleet} --status failed)"
    )


def print_findings(data: FleetData, *, per_check: int = 10) -> None:
    """Validation findings as a table, then the tenants that cannot train.

    At most ``per_check`` tenant findings of one check and severity are printed, then one row
    counting the rest: 3,000 tenants with the same problem must not print 3,000 rows.
    """
    table = Table(title=f"{len(data.tenants)} tenant(s) ready, {len(data.failed)} failing")
    for column in ("tenant", "severity", "check", "column", "count", "message"):
        table.add_column(column, overflow="fold")
    shown: Counter[tuple[str, str]] = Counter()
    totals = Counter((f.check, f.severity) for f in data.findings if f.tenant is not None)
    for f in data.findings:
        style = "red" if f.severity == "error" else "yellow"
        group = (f.check, f.severity)
        if f.tenant is not None:
            shown[group] += 1
            if shown[group] > per_check:
                continue
        table.add_row(
            f.tenant or "(fleet)",
            f"[{style}]{f.severity}[/]",
            f.check,
            f.column or "",
            str(f.count),
            f.message,
        )
        if f.tenant is not None and shown[group] == per_check and totals[group] > per_check:
            table.add_row(
                "…",
                f"[{style}]{f.severity}[/]",
                f.check,
                "",
                str(totals[group] - per_check),
                f"and {totals[group] - per_check:,} more tenant(s) with a {f.check} {f.severity}",
            )
    console.print(table)


def run_to_json(record: TenantRunRecord, *, full: bool = False) -> dict[str, Any]:
    """The JSON shape of a run for scripts; ``full`` adds params, lineage and artifacts."""
    obj: dict[str, Any] = {
        "run_id": record.run_id,
        "fleet_run_id": record.fleet_run_id,
        "fleet": record.fleet,
        "tenant": record.tenant,
        "environment": record.environment,
        "status": record.status,
        "model_family": record.model_family,
        "metrics": dict(record.metrics),
        "baseline_metrics": dict(record.baseline_metrics),
        "reason": record.reason,
        "started_at": record.started_at.isoformat(),
        "finished_at": record.finished_at.isoformat(),
        "duration_seconds": record.duration_seconds,
        "data_fingerprint": record.data_fingerprint,
        "config_hash": record.config_hash,
        "code_version": record.code_version,
    }
    if full:
        obj["params"] = dict(record.params)
        obj["timings"] = dict(record.timings)
        obj["lineage"] = dict(record.lineage)
        obj["artifacts"] = [
            {
                "name": a.name,
                "kind": a.kind,
                "digest": a.digest,
                "uri": a.uri,
                "size_bytes": a.size_bytes,
            }
            for a in record.artifacts
        ]
        obj["findings"] = [
            {
                "check": f.check,
                "severity": f.severity,
                "column": f.column,
                "count": f.count,
                "message": f.message,
                "examples": list(f.examples),
            }
            for f in record.findings
        ]
        obj["trials"] = [
            {"number": t.number, "value": t.value, "state": t.state, "params": dict(t.params)}
            for t in record.trials
        ]
    return obj


def _gate_metric(record: TenantRunRecord) -> str:
    return str(record.params.get("gates.metric", "")) or next(iter(record.metrics), "")


def print_runs_table(records: Sequence[TenantRunRecord]) -> None:
    """Runs as a table that stays readable at 80 columns: id, model, env, status, metric."""
    metrics = {_gate_metric(r) for r in records}
    shared = metrics.pop() if len(metrics) == 1 else None
    table = Table(
        title=f"{len(records)} run(s), newest first",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        padding=(0, 1, 0, 0),
    )
    table.add_column("run", no_wrap=True)
    table.add_column("fleet/tenant", no_wrap=True, overflow="ellipsis")
    table.add_column("env", no_wrap=True, overflow="ellipsis", max_width=10)
    table.add_column("status", no_wrap=True)
    if shared is None:
        table.add_column("metric", no_wrap=True)
    table.add_column(shared or "value", justify="right", no_wrap=True)
    table.add_column("baseline", justify="right", no_wrap=True)
    table.add_column("finished", no_wrap=True)
    for r in records:
        metric = _gate_metric(r)
        style = STATUS_STYLE.get(r.status, "")
        cells = [r.run_id[:8], f"{r.fleet}/{r.tenant}", r.environment, f"[{style}]{r.status}[/]"]
        if shared is None:
            cells.append(metric)
        cells += [
            _fmt(r.metrics.get(metric)),
            _fmt(r.baseline_metrics.get(metric)),
            r.finished_at.strftime("%m-%d %H:%M"),
        ]
        table.add_row(*cells)
    console.print(table)


def print_run(record: TenantRunRecord) -> None:
    """One run in detail."""
    style = STATUS_STYLE.get(record.status, "")
    console.print(
        f"[bold]run {record.run_id}[/]  {record.fleet}/{record.tenant} · "
        f"{record.environment} · [{style}]{record.status}[/]"
    )
    if record.reason:
        console.print(f"  reason: {record.reason}", markup=False)
    metrics = Table(title="holdout metrics")
    metrics.add_column("metric")
    metrics.add_column("candidate", justify="right")
    metrics.add_column("baseline", justify="right")
    for key in sorted(set(record.metrics) | set(record.baseline_metrics)):
        metrics.add_row(key, _fmt(record.metrics.get(key)), _fmt(record.baseline_metrics.get(key)))
    console.print(metrics)
    details = Table(title="params, lineage, artifacts", show_header=False)
    details.add_column("key")
    details.add_column("value", overflow="fold")
    for key, value in sorted(record.params.items()):
        details.add_row(key, str(value))
    for key, value in sorted(record.timings.items()):
        details.add_row(f"time.{key}", f"{value:.3f}s")
    details.add_row("data_fingerprint", record.data_fingerprint or "-")
    details.add_row("config_hash", record.config_hash)
    details.add_row("code_version", record.code_version or "-")
    for key, value in sorted(record.lineage.items()):
        details.add_row(key, value)
    for artifact in record.artifacts:
        details.add_row(f"artifact.{artifact.name}", f"{artifact.uri} ({artifact.size_bytes} B)")
    console.print(details)
    for f in record.findings:
        console.print(f"  [yellow]{f.severity}[/] {f.check}: {f.message}")


def print_comparison(records: Sequence[TenantRunRecord], *, as_json: bool) -> None:
    """Run facts, metrics, baseline metrics and params of several runs side by side."""
    from modelfleet.tracking.compare import compare_runs

    comparison = compare_runs(records)
    if as_json:
        # Raw values (full-precision numbers, null where a run lacks the key) for scripts.
        print_json_lines(
            {
                "section": row.section,
                "key": f"{row.section}.{row.key}",
                "differs": row.differs,
                "values": dict(zip(comparison.run_ids, row.values, strict=True)),
            }
            for row in comparison.rows
        )
        return
    table = Table(title="run comparison (differing rows in bold)")
    table.add_column("")
    for label in comparison.columns:
        table.add_column(label, justify="right", overflow="fold")
    for row in comparison.rows:
        key = f"{row.section}.{row.key}" if row.section != "run" else row.key
        cells = [
            "-" if v is None else (_fmt(v) if isinstance(v, float) else str(v)) for v in row.values
        ]
        table.add_row(f"[bold]{key}[/]" if row.differs else key, *cells)
    console.print(table)
