"""Rich tables, progress and JSON shapes of ``modelfleet features`` (tables for people, JSON
for scripts)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from modelfleet.cli.render import console
from modelfleet.cli.signals import exit_code
from modelfleet.config.feature_blocks import format_duration

if TYPE_CHECKING:
    from modelfleet.config.feature_blocks import FeatureSpec, FeatureViewSpec, OnDemandFeatureSpec
    from modelfleet.features.materialize import MaterializationResult
    from modelfleet.features.service import FeatureStore, ViewStatus


# The runs table's layout: stays readable at 80 columns.
COMPACT: dict[str, Any] = {
    "box": box.SIMPLE_HEAD,
    "pad_edge": False,
    "collapse_padding": True,
    "padding": (0, 1, 0, 0),
}


def when(value: datetime | None) -> str:
    """A timestamp for a table cell, to the second, UTC as 'Z' ('-' when there is none)."""
    if value is None:
        return "-"
    text = value.replace(microsecond=0).isoformat(sep=" ")
    return text[: -len("+00:00")] + "Z" if text.endswith("+00:00") else text


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _ttl(value: timedelta | None) -> str | None:
    return None if value is None else format_duration(value)


def source_text(view: FeatureViewSpec) -> str:
    """Where a view's rows come from: 'fleet', a named table, or a file and its format."""
    if isinstance(view.source, str):
        return view.source
    return f"{view.source.path} ({view.source.file_format})"


def feature_definition(feature: FeatureSpec) -> str:
    """One line saying how a feature is computed."""
    if feature.expr is not None:
        return feature.expr
    if feature.lag is not None:
        return f"{feature.lag.column}, {format_duration(feature.lag.by)} before the event"
    if feature.rolling is not None:
        rolling = feature.rolling
        return f"{rolling.agg} of {rolling.column} over {format_duration(rolling.window)}"
    return f"{feature.calendar} of the event time"


# ---------------------------------------------------------------------------------- list, show
def status_to_json(status: ViewStatus, view: FeatureViewSpec) -> dict[str, Any]:
    """The JSON shape of a view in ``features list``."""
    return {
        "kind": "view",
        "name": status.name,
        "version": status.version,
        "entities": list(status.entities),
        "features": list(status.features),
        "feature_count": len(status.features),
        "ttl": _ttl(status.ttl),
        "source": source_text(view),
        "online_rows": status.materialized_rows,
        "watermark": _iso(status.watermark),
    }


def on_demand_to_json(feature: OnDemandFeatureSpec) -> dict[str, Any]:
    """The JSON shape of an on-demand feature in ``features list``."""
    return {
        "kind": "on_demand",
        "name": feature.name,
        "expr": feature.expr,
        "description": feature.description,
    }


def print_views(
    fleet: str,
    statuses: Sequence[ViewStatus],
    on_demand: Sequence[OnDemandFeatureSpec],
    where: str,
) -> None:
    """One row per view with its online state, then the on-demand features."""
    table = Table(title=f"{fleet}: {len(statuses)} feature view(s)", **COMPACT)
    table.add_column("view", no_wrap=True)
    table.add_column("version", no_wrap=True)
    table.add_column("keys", overflow="fold")
    table.add_column("features", justify="right", no_wrap=True)
    table.add_column("ttl", justify="right", no_wrap=True)
    table.add_column("online rows", justify="right", no_wrap=True)
    table.add_column("watermark")
    for s in statuses:
        table.add_row(
            s.name,
            s.version,
            ", ".join(s.entities),
            str(len(s.features)),
            _ttl(s.ttl) or "-",
            "-" if s.materialized_rows is None else f"{s.materialized_rows:,}",
            when(s.watermark),
        )
    table.caption = f"online store: {escape(where)}"
    console.print(table)
    if on_demand:
        extra = Table(title=f"{len(on_demand)} on-demand feature(s)", **COMPACT)
        extra.add_column("feature", no_wrap=True)
        extra.add_column("expr", overflow="fold")
        for f in on_demand:
            extra.add_row(f.name, escape(f.expr))
        console.print(extra)


def view_to_json(view: FeatureViewSpec, status: ViewStatus) -> dict[str, Any]:
    """The JSON shape of ``features show``: the definition and the online state."""
    return {
        "name": view.name,
        "version": view.version,
        "description": view.description,
        "entities": list(view.entities),
        "timestamp": view.timestamp,
        "created_timestamp": view.created_timestamp,
        "source": view.model_dump(mode="json")["source"],
        "ttl": _ttl(view.ttl),
        "features": [
            {
                "name": f.name,
                "kind": f.kind,
                "definition": feature_definition(f),
                f.kind: f.model_dump(mode="json")[f.kind],
                "description": f.description,
            }
            for f in view.features
        ],
        "online": {"rows": status.materialized_rows, "watermark": _iso(status.watermark)},
    }


def print_view(view: FeatureViewSpec, status: ViewStatus, where: str) -> None:
    """A view's definition, each feature, and what the online store holds for this version."""
    console.print(f"[bold]feature view {view.name}[/]  version {view.version}")
    facts = Table(show_header=False)
    facts.add_column("key")
    facts.add_column("value", overflow="fold")
    if view.description:
        facts.add_row("description", escape(view.description))
    facts.add_row("entities", ", ".join(view.entities))
    facts.add_row("timestamp", view.timestamp)
    if view.created_timestamp:
        facts.add_row("created_timestamp", view.created_timestamp)
    facts.add_row("source", escape(source_text(view)))
    facts.add_row("ttl", _ttl(view.ttl) or "none (values never expire)")
    rows = status.materialized_rows
    facts.add_row("online rows", "never materialized" if rows is None else f"{rows:,}")
    facts.add_row("watermark", when(status.watermark))
    facts.add_row("online store", escape(where))
    console.print(facts)
    features = Table(title=f"{len(view.features)} feature(s)")
    features.add_column("feature", no_wrap=True)
    features.add_column("kind", no_wrap=True)
    features.add_column("definition", overflow="fold")
    features.add_column("description", overflow="fold")
    for f in view.features:
        features.add_row(f.name, f.kind, escape(feature_definition(f)), escape(f.description))
    console.print(features)


# ---------------------------------------------------------------------------------- materialize
def materialize_with_progress(
    open_store: Callable[[], FeatureStore],
    names: Sequence[str],
    *,
    until: datetime,
    full: bool,
    show: bool,
) -> tuple[list[MaterializationResult], str]:
    """Materialize the views one by one (a bar when ``show``); returns results and store URL.

    Ctrl-C keeps the views already done; the interrupted one keeps its old watermark, so the
    same command redoes it.
    """
    if not show:
        with open_store() as store:
            return store.materialize(names, end=until, full=full), store.online_store().url
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeElapsedColumn(),
        console=console,
    )
    results: list[MaterializationResult] = []
    try:
        with progress:
            task = progress.add_task("reading the views' sources", total=len(names), rows=0)
            with open_store() as store:
                for name in names:
                    progress.update(task, description=name, rows=0)
                    results += store.materialize(
                        [name],
                        end=until,
                        full=full,
                        progress=lambda _view, rows: progress.update(task, rows=rows),
                    )
                    progress.advance(task)
                progress.update(task, description="done")
                return results, store.online_store().url
    except KeyboardInterrupt as exc:
        # Typer swallows KeyboardInterrupt before the entry point sees it, so say it here.
        Console(stderr=True).print(
            "[yellow]interrupted[/]: views already materialized are saved; the interrupted one "
            "kept its old watermark, so the same command redoes it"
        )
        raise typer.Exit(exit_code(exc)) from None


def result_to_json(result: MaterializationResult) -> dict[str, Any]:
    """The JSON shape of one view's materialization."""
    return {
        "view": result.view,
        "version": result.version,
        "mode": result.mode,
        "rows": result.rows,
        "seconds": result.seconds,
        "since": _iso(result.since),
        "until": _iso(result.until),
    }


def print_results(results: Sequence[MaterializationResult], where: str) -> None:
    """One row per materialized view: mode, rows written, time taken and the event range."""
    table = Table(
        title=f"materialized {len(results)} view(s)",
        caption=f"online store: {escape(where)}",
        **COMPACT,
    )
    table.add_column("view", overflow="fold")
    table.add_column("mode", no_wrap=True)
    table.add_column("rows", justify="right", no_wrap=True)
    table.add_column("seconds", justify="right", no_wrap=True)
    table.add_column("since", no_wrap=True)
    table.add_column("until", no_wrap=True)
    for r in results:
        table.add_row(
            r.view,
            r.mode,
            f"{r.rows:,}",
            f"{r.seconds:.2f}",
            when(r.since) if r.since else "(start)",
            when(r.until),
        )
    console.print(table)


# ---------------------------------------------------------------------------------- get
def _plain(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def online_rows_to_json(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One JSON object per requested entity: its key columns and feature values (null: none)."""
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


def _cell(value: object) -> str:
    value = _plain(value)
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def print_online_rows(rows: Sequence[dict[str, Any]], entity_columns: Sequence[str]) -> None:
    """Feature -> value, one value column per requested entity."""
    table = Table(title="online features")
    table.add_column("feature", no_wrap=True)
    for row in rows:
        label = escape(", ".join(f"{c}={row[c]}" for c in entity_columns))
        table.add_column(label, justify="right", overflow="fold")
    features = [name for name in (rows[0] if rows else {}) if name not in set(entity_columns)]
    for name in features:
        table.add_row(name, *(escape(_cell(row[name])) for row in rows))
    console.print(table)
    if any(row[name] is None for row in rows for name in features):
        console.print("[dim]-: no value (never materialized, or older than the view's ttl)[/]")
