"""Tables and JSON shapes for the registry commands (people get tables, scripts get JSON).

The JSON of a version, event or promotion outcome is exactly what the REST control plane
answers (:mod:`modelfleet.wire`), so scripts can switch between the CLI and the API.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from modelfleet.cli.render import console

if TYPE_CHECKING:
    from modelfleet.registry.records import (
        ModelEvent,
        ModelVersion,
        PromotionBatch,
        PromotionOutcome,
    )

STATUS_STYLE = {"active": "green", "candidate": "cyan", "archived": "dim"}
PREFERRED_METRICS = ("wmape", "log_loss", "rmse", "mae")


def _num(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.4g}"


def _text(value: object) -> str:
    """User-controlled text, safe from Rich markup."""
    return escape("-" if value is None or value == "" else str(value))


def headline_metric(metrics: Mapping[str, float]) -> str | None:
    """The metric a table shows: the usual gate metrics first, else the first by name."""
    for name in PREFERRED_METRICS:
        if name in metrics:
            return name
    return min(metrics, default=None)


# ------------------------------------------------------------------------------ JSON
def version_to_json(version: ModelVersion) -> dict[str, Any]:
    """A version as the REST API shows it."""
    from modelfleet.wire import ModelVersionOut

    return ModelVersionOut.of(version).model_dump(mode="json")


def event_to_json(event: ModelEvent) -> dict[str, Any]:
    """An event as the REST API shows it."""
    from modelfleet.wire import ModelEventOut

    return ModelEventOut.of(event).model_dump(mode="json")


def outcome_to_json(outcome: PromotionOutcome, batch_id: str | None = None) -> dict[str, Any]:
    """A promotion outcome as the REST API shows it, plus its batch id when fleet-wide."""
    from modelfleet.wire import PromotionOutcomeOut

    obj = PromotionOutcomeOut.of(outcome).model_dump(mode="json")
    if batch_id is not None:
        obj["batch_id"] = batch_id
    return obj


# ------------------------------------------------------------------------------ tables
def print_versions_table(versions: Sequence[ModelVersion], title: str) -> None:
    """Versions as a table: model, version, status, aliases, headline metric vs baseline."""
    names = [headline_metric(v.metrics) for v in versions]
    metric = max(set(names) - {None}, key=names.count, default=None)
    table = Table(title=title)
    widest = max((len(v.model) for v in versions), default=5)
    table.add_column("model", overflow="fold", min_width=min(widest, 32))
    table.add_column("version", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("aliases", overflow="fold")
    table.add_column(escape(metric or "metric"), justify="right", no_wrap=True)
    table.add_column("baseline", justify="right", no_wrap=True)
    for v in versions:
        style = STATUS_STYLE.get(v.status, "")
        table.add_row(
            _text(v.model),
            str(v.version),
            f"[{style}]{v.status}[/]",
            _text(", ".join(v.aliases)),
            _num(v.metrics.get(metric)) if metric else "-",
            _num(v.baseline_metrics.get(metric)) if metric else "-",
        )
    console.print(table)


def print_version(version: ModelVersion) -> None:
    """One version in detail: status, aliases, metrics vs baseline, tags, lineage."""
    style = STATUS_STYLE.get(version.status, "")
    console.print(
        f"[bold]{_text(version.ref)}[/] · [{style}]{version.status}[/] · aliases: "
        f"{_text(', '.join(version.aliases) or 'none')}"
    )
    if version.description:
        console.print(f"  {_text(version.description)}")
    metrics = Table(title="holdout metrics")
    metrics.add_column("metric")
    metrics.add_column("model", justify="right")
    metrics.add_column("baseline", justify="right")
    for key in sorted(set(version.metrics) | set(version.baseline_metrics)):
        metrics.add_row(
            _text(key), _num(version.metrics.get(key)), _num(version.baseline_metrics.get(key))
        )
    console.print(metrics)
    details = Table(title="tags, lineage, signature", show_header=False)
    details.add_column("key")
    details.add_column("value", overflow="fold")
    for key, value in sorted(version.tags.items()):
        details.add_row(f"tag.{_text(key)}", _text(value))
    rows: dict[str, str | None] = {
        "family": version.family,
        "run": version.run_id,
        "data_fingerprint": version.data_fingerprint,
        "config_hash": version.config_hash,
        "code_version": version.code_version,
        "model_uri": version.model_uri,
        "inputs": ", ".join(version.signature.input_names),
        "output": version.signature.output.name,
        "registered": f"{version.created_at:%Y-%m-%d %H:%M} UTC by {version.created_by}",
    }
    for key, fact in rows.items():
        details.add_row(key, _text(fact))
    console.print(details)


def print_history(model: str, events: Sequence[ModelEvent]) -> None:
    """A model's events, newest first."""
    table = Table(title=f"history of {escape(model)}: {len(events)} event(s), newest first")
    table.add_column("when (UTC)", no_wrap=True)
    table.add_column("event", overflow="fold")
    table.add_column("change", overflow="fold")
    table.add_column("who", overflow="fold")
    table.add_column("why", overflow="fold", ratio=2)
    for e in events:
        if e.from_status or e.to_status:
            change = f"{e.to_version or ''} {e.from_status or '-'} → {e.to_status or '-'}"
        else:
            change = f"{e.from_version or '-'} → {e.to_version or '-'}"
        if e.alias:
            change = f"{e.alias}: {change}"
        table.add_row(
            e.at.strftime("%m-%d %H:%M"),
            e.kind,
            _text(change.strip()),
            _text(e.actor),
            _text(e.reason),
        )
    console.print(table)


def print_events(events: Sequence[ModelEvent]) -> None:
    """What a write did, one line per event."""
    for e in events:
        versions = f"{e.from_version or '-'} -> {e.to_version or '-'}"
        where = f"@{e.alias} " if e.alias else ""
        console.print(f"{_text(e.model)} {_text(where)}{e.kind} {versions}: {_text(e.reason)}")


def print_outcome(outcome: PromotionOutcome) -> None:
    """One promotion's outcome as a sentence."""
    if outcome.moved:
        mark = "[green]moved[/]"
    elif outcome.pending_approval:
        mark = "[yellow]waiting for approval[/]"
    else:
        mark = "[red]not moved[/]"
    console.print(
        f"{_text(outcome.model)} -> {_text(outcome.environment)}: {mark} "
        f"({outcome.from_version or '-'} -> {outcome.to_version or '-'})"
    )
    console.print(f"  {_text(outcome.reason)}")


def print_batch(batch: PromotionBatch) -> None:
    """A fleet promotion: per tenant what moved, what waits for approval, and why not."""
    table = Table(
        title=f"promote {escape(batch.fleet)} -> {escape(batch.environment)} · batch "
        f"{batch.batch_id}"
    )
    table.add_column("model", overflow="fold")
    table.add_column("outcome", no_wrap=True)
    table.add_column("from", no_wrap=True)
    table.add_column("to", no_wrap=True)
    table.add_column("why", overflow="fold")
    order = {True: 1}
    for o in sorted(batch.outcomes, key=lambda o: (order.get(o.moved, 0), o.model)):
        if o.moved:
            mark = "[green]moved[/]"
        elif o.pending_approval:
            mark = "[yellow]needs approval[/]"
        else:
            mark = "[red]not moved[/]"
        table.add_row(
            _text(o.model),
            mark,
            _text(o.from_version),
            _text(o.to_version),
            _text(o.reason),
        )
    console.print(table)
    waiting = sum(1 for o in batch.not_moved if o.pending_approval)
    console.print(
        f"[green]{len(batch.moved)} moved[/], [yellow]{waiting} waiting for approval[/], "
        f"[red]{len(batch.not_moved) - waiting} not moved[/]; undo with "
        f"[cyan]modelfleet rollback --batch {batch.batch_id}[/]"
    )
