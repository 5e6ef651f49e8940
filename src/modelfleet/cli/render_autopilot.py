"""Tables and JSON lines for ``modelfleet autopilot`` and ``modelfleet actions``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rich import box
from rich.markup import escape
from rich.table import Table

from modelfleet.cli.render import console, natural_key

if TYPE_CHECKING:
    from modelfleet.monitoring.autopilot.service import AutopilotPass
    from modelfleet.store.autopilot import ActionRow

_STYLE = {
    "done": "green",
    "failed": "red",
    "pending": "yellow",
    "planned": "cyan",
    "held": "dim",
    "skipped": "dim",
}


def pass_json(result: AutopilotPass) -> Iterator[dict[str, Any]]:
    """One object for the pass, then one per step."""
    yield {
        "record": "pass",
        "pass_id": result.pass_id,
        "fleet": result.fleet,
        "environment": result.environment,
        "at": result.at.isoformat(),
        "dry_run": result.dry_run,
        "tenants": result.tenants,
        "drifted": list(result.drifted),
        "degraded": list(result.degraded),
        "sink_failures": list(result.sink_failures),
    }
    for step in result.steps:
        yield {
            "record": "step",
            "tenant": step.tenant,
            "kind": step.kind,
            "version": step.version,
            "target": step.target,
            "status": step.status,
            "reason": step.reason,
            "figures": dict(step.figures),
        }


def print_pass(result: AutopilotPass) -> None:
    """The pass's headline and its steps as a table."""
    what = "plan (dry run: nothing changed)" if result.dry_run else "pass"
    console.print(
        f"autopilot {what} {result.pass_id} for [bold]{escape(result.fleet)}[/]@"
        f"{escape(result.environment)}: {result.tenants} tenant(s), "
        f"{len(result.drifted)} drifted, {len(result.degraded)} degraded"
    )
    for failure in result.sink_failures:
        console.print(f"[yellow]alert sink:[/] {escape(failure)}")
    if not result.steps:
        console.print("nothing to do")
        return
    table = Table(box=box.SIMPLE_HEAD)
    for name in ("tenant", "step", "version", "to", "status", "reason"):
        table.add_column(name, overflow="fold")
    for step in sorted(result.steps, key=lambda s: natural_key(s.tenant)):
        style = _STYLE.get(step.status, "")
        table.add_row(
            escape(step.tenant),
            step.kind,
            escape(step.version or "-"),
            escape(step.target or "-"),
            f"[{style}]{step.status}[/]" if style else step.status,
            escape(step.reason),
        )
    console.print(table)
    counts = {s: result.count(s) for s in ("done", "failed", "pending", "planned", "held")}
    console.print(", ".join(f"{n} {s}" for s, n in counts.items() if n) or "nothing done")


def action_json(row: ActionRow) -> dict[str, Any]:
    """One action as a JSON object (figures decoded)."""
    return {
        "id": row.id,
        "pass_id": row.pass_id,
        "fleet": row.fleet,
        "environment": row.environment,
        "tenant": row.tenant,
        "kind": row.kind,
        "version": row.version,
        "status": row.status,
        "reason": row.reason,
        "figures": json.loads(row.figures),
        "at": row.at.isoformat(),
        "actor": row.actor,
        "decided_by": row.decided_by,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
    }


def print_actions(found: list[ActionRow]) -> None:
    """Actions as a table, newest first (fleet and environment as a heading when shared)."""
    if not found:
        console.print("no autopilot action")
        return
    places = {(row.fleet, row.environment) for row in found}
    shared = len(places) == 1
    if shared:
        fleet, env = next(iter(places))
        console.print(f"autopilot actions of [bold]{escape(fleet)}[/]@{escape(env)}")
    table = Table(box=box.SIMPLE_HEAD)
    names = ["id", "when", "tenant", "step", "version", "status", "reason"]
    if not shared:
        names[2:2] = ["fleet", "env"]
    for name in names:
        table.add_column(name, overflow="fold", no_wrap=name not in ("reason", "tenant"))
    for row in found:
        style = _STYLE.get(row.status, "")
        cells = [
            str(row.id),
            f"{row.at:%m-%d %H:%M}",
            escape(row.tenant),
            row.kind,
            escape(row.version or "-"),
            f"[{style}]{row.status}[/]" if style else row.status,
            escape(row.reason),
        ]
        if not shared:
            cells[2:2] = [escape(row.fleet), escape(row.environment)]
        table.add_row(*cells)
    console.print(table)
