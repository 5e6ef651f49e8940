"""``modelfleet doctor``: is the store sound? A table (or ``--json``); exit 1 naming what is not."""

from __future__ import annotations

import os
import re
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Final

import typer

from modelfleet.cli.context import print_json_lines, state

if TYPE_CHECKING:
    from modelfleet.doctor import Report

SHOWN_FINDINGS: Final = 20  # per check in the table; --json lists them all
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*")
_UNIT_SECONDS: Final = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def register(app: typer.Typer) -> None:
    """Add ``doctor`` to the root app."""
    app.command("doctor")(doctor)


def parse_grace(text: str) -> timedelta:
    """``90s``, ``30m``, ``24h``, ``7d`` or plain seconds as a duration."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise typer.BadParameter(
            f"{text!r} is not a duration: give e.g. 30m, 24h or 7d", param_hint="--grace"
        )
    return timedelta(seconds=float(match[1]) * _UNIT_SECONDS[match[2]])


def doctor(
    ctx: typer.Context,
    repair: Annotated[
        bool,
        typer.Option(
            help="Apply the safe fixes: mark stale runs interrupted, remove settled temp files."
        ),
    ] = False,
    gc: Annotated[
        bool,
        typer.Option(
            "--gc",
            help="With --repair: also delete blobs no version or run references, past --grace.",
        ),
    ] = False,
    grace: Annotated[
        str, typer.Option(help="How old an unreferenced blob must be to count (30m, 24h, 7d).")
    ] = "24h",
    artifacts_url: Annotated[
        str | None,
        typer.Option(help="Artifact store folder or URL (env MODELFLEET_ARTIFACTS_URL)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for scripts.")] = False,
) -> None:
    """Check the metadata store and artifacts: integrity, schema, digests, aliases, history,
    stale runs, temp files, unreferenced blobs. Read-only unless --repair. Exit 1 if unsound.
    """
    from modelfleet.config.settings import Settings
    from modelfleet.doctor import DoctorOptions, examine
    from modelfleet.errors import UsageError

    cli = state(ctx)
    if cli.server_url() is not None:
        raise UsageError(
            "doctor reads the stores themselves, not a server: drop --url / unset MODELFLEET_URL "
            "and run it where the stores are (--home, --store-url)"
        )
    env = dict(os.environ)
    if cli.home is not None:
        env["MODELFLEET_HOME"] = str(cli.home)
    settings = Settings.from_env(env).with_overrides(
        store_url=cli.store_url, artifacts_url=artifacts_url
    )
    options = DoctorOptions(repair=repair, gc=gc, grace=parse_grace(grace))
    report = examine(settings.store_url, settings.artifacts_url, options)
    if as_json:
        print_json_lines([report.to_json()])
    else:
        print_report(report)
    if not report.ok:
        sys.exit(1)


def print_report(report: Report) -> None:
    """The checks as a table, then what each failing check found (the first few of each)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    verdict = "[green]sound[/]" if report.ok else "[bold red]problems found[/]"
    table = Table(title=f"modelfleet doctor: {verdict} ({report.seconds:.1f} s)")
    for column in ("check", "status", "checked", "problems", "detail"):
        table.add_column(column, justify="right" if column in ("checked", "problems") else "left")
    colours = {"ok": "green", "repaired": "yellow", "failed": "red", "skipped": "dim"}
    for r in report.results:
        status = f"[{colours[r.status]}]{r.status}[/]"
        table.add_row(r.check, status, str(r.checked), str(len(r.findings)), r.detail)
    console.print(table)
    console.print(f"store: {report.store}\nartifacts: {report.artifacts}", markup=False)
    for r in report.results:
        if not r.findings:
            continue
        console.print(f"\n[bold]{r.check}[/]")
        for finding in r.findings[:SHOWN_FINDINGS]:
            mark = "fixed" if finding.repaired else "✗"
            console.print(f"  {mark} {finding.subject}: {finding.problem}", markup=False)
        if len(r.findings) > SHOWN_FINDINGS:
            more = len(r.findings) - SHOWN_FINDINGS
            console.print(f"  ... and {more} more (--json lists them all)", markup=False)
