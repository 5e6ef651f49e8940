"""Fleet runs for people (a Rich table) and scripts (JSON in the REST API's shape)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from modelfleet.tracking.records import FleetRunRecord
from modelfleet.wire import FleetRunOut

console = Console(highlight=False)
STATUS_STYLE = {
    "succeeded": "green",
    "partial": "yellow",
    "failed": "red",
    "interrupted": "magenta",
    "running": "cyan",
}


def fleet_run_to_json(record: FleetRunRecord) -> dict[str, Any]:
    """One fleet run as the REST API answers it."""
    return FleetRunOut.of(record).model_dump(mode="json")


def print_fleet_runs(records: Sequence[FleetRunRecord]) -> None:
    """A table of fleet runs, newest first."""
    if not records:
        console.print("no fleet runs recorded yet: run modelfleet train")
        return
    table = Table(title="fleet runs, newest first")
    for name, justify in (
        ("run", "left"),
        ("fleet", "left"),
        ("env", "left"),
        ("status", "left"),
        ("started (UTC)", "left"),
        ("done", "right"),
        ("left", "right"),
        ("skipped", "right"),
        ("by", "left"),
        ("trigger", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in records:
        style = STATUS_STYLE.get(r.status, "")
        table.add_row(
            r.id[:8],
            r.fleet,
            r.environment,
            f"[{style}]{r.status}[/]" if style else r.status,
            r.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            str(r.done),
            "" if r.left is None else str(r.left),
            str(r.skipped),
            r.actor,
            r.trigger,
        )
    console.print(table)
