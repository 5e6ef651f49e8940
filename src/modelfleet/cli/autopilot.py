"""``modelfleet autopilot`` and ``modelfleet actions``: the closed loop, and what it asks of you.

``autopilot`` runs one pass (for cron) or one every ``--every``: it checks the fleet, then
retrains, promotes, rolls out or rolls back tenants within the spec's
``monitoring.autopilot`` policy, printing each step with its reason. ``--dry-run`` prints the
plan and changes nothing. ``actions`` lists what the autopilot did or waits to do, and
approves or rejects the waiting steps.

Exit codes of a pass: 0 when no step failed, 3 when some did (the others were carried out).
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelfleet.cli.context import print_json_lines, state

if TYPE_CHECKING:
    from modelfleet.cli.render import RichListener
    from modelfleet.tracking.records import TenantRunRecord

app = typer.Typer(
    help="The autopilot's actions: list them, approve or reject the waiting ones.",
    no_args_is_help=True,
)
JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object per line, for scripts.")]
PARTIAL = 3


def register(root: typer.Typer) -> None:
    """Add ``autopilot`` and the ``actions`` commands to the root app."""
    root.command("autopilot")(autopilot)
    root.add_typer(app, name="actions")


def _every(text: str | None) -> timedelta | None:
    from modelfleet.config.feature_blocks import parse_duration

    if text is None:
        return None
    try:
        every = parse_duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--every") from None
    if every < timedelta(minutes=1):
        raise typer.BadParameter(
            f"{text!r} is shorter than a minute: give 1m or more (a pass checks the whole "
            "fleet; one a minute is already a lot)",
            param_hint="--every",
        )
    return every


def autopilot(
    ctx: typer.Context,
    spec: Annotated[Path, typer.Argument(help="The fleet.yaml.", show_default=False)],
    env: Annotated[str, typer.Option("--env", help="The environment to keep healthy.")] = "prod",
    every: Annotated[
        str | None,
        typer.Option(help="Run a pass every this long (1h, 30m) until stopped; default: once."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan; change and record nothing.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Check the fleet, then retrain, promote, roll out or roll back tenants as the spec's
    monitoring.autopilot policy says; every step is recorded with its reason."""
    from rich.console import Console

    interval = _every(every)
    failed = False
    try:
        failed = _passes(ctx, spec, env, interval, every, dry_run=dry_run, as_json=as_json)
    except KeyboardInterrupt as exc:
        # Typer swallows KeyboardInterrupt before the entry point sees it, so say it here.
        from modelfleet.cli.signals import exit_code

        what = "terminated" if exit_code(exc) == 143 else "interrupted"
        Console(stderr=True).print(
            f"[yellow]autopilot {what}: every step taken so far is recorded and its lock is "
            "released; run the same command to go on[/]"
        )
        raise typer.Exit(exit_code(exc)) from None
    if failed:
        raise typer.Exit(PARTIAL)


class _BarWhenTraining:
    """The training progress bar, drawn only once a pass retrains (most passes do not)."""

    def __init__(self) -> None:
        self._bar: RichListener | None = None

    def _open(self) -> RichListener:
        if self._bar is None:
            from modelfleet.cli.render import RichListener

            self._bar = RichListener().__enter__()
        return self._bar

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None

    def stage(self, message: str) -> None:
        self._open().stage(f"autopilot: {message}")

    def started(self, total: int, skipped: int) -> None:
        self._open().started(total, skipped)

    def tenant_finished(self, record: TenantRunRecord) -> None:
        self._open().tenant_finished(record)


def _passes(
    ctx: typer.Context,
    spec: Path,
    env: str,
    interval: timedelta | None,
    every: str | None,
    *,
    dry_run: bool,
    as_json: bool,
) -> bool:
    """Run one pass, or one per ``interval`` until stopped; whether the last had a failure."""
    from modelfleet.cli.render import console
    from modelfleet.cli.render_autopilot import pass_json, print_pass
    from modelfleet.errors import ModelfleetError

    failed = False
    with state(ctx).local_client() as client:
        while True:
            try:
                bar = None if as_json else _BarWhenTraining()
                try:
                    result = client.autopilot(spec, environment=env, dry_run=dry_run, listener=bar)
                finally:
                    if bar is not None:
                        bar.close()
            except ModelfleetError as exc:
                if interval is None:
                    raise
                # A loop outlives one bad pass (a held lock, a store that is briefly away).
                console.print(f"[red]pass failed:[/] {exc.headline}: {exc}", markup=True)
            else:
                failed = result.count("failed") > 0
                if as_json:
                    print_json_lines(pass_json(result))
                else:
                    print_pass(result)
            if interval is None:
                break
            console.print(f"next pass in {every} (Ctrl-C stops)")
            time.sleep(interval.total_seconds())
    return failed


@app.command("list")
def list_actions(
    ctx: typer.Context,
    fleet: Annotated[str | None, typer.Option(help="Only this fleet.")] = None,
    env: Annotated[str | None, typer.Option("--env", help="Only this environment.")] = None,
    status: Annotated[
        str | None,
        typer.Option(help="Only this status: pending (waits for you), done, failed, ..."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """The autopilot's actions, newest first (--status pending: what waits for approval)."""
    from modelfleet.cli.render_autopilot import action_json, print_actions

    with state(ctx).client() as client:
        found = client.autopilot_actions(fleet=fleet, environment=env, status=status, limit=limit)
    if as_json:
        print_json_lines(action_json(a) for a in found)
    else:
        print_actions(found)


ActionId = Annotated[int, typer.Argument(help="The action's id (actions list).", min=1)]
Reason = Annotated[str, typer.Option(help="Why, for the record.")]


@app.command("approve")
def approve(ctx: typer.Context, action_id: ActionId, reason: Reason = "") -> None:
    """Approve a pending step: the next autopilot pass carries it out."""
    from modelfleet.cli.render import console

    with state(ctx).client() as client:
        row = client.approve_action(action_id, reason=reason)
    console.print(f"action {row.id} ({row.kind} of {row.fleet}/{row.tenant}) approved")


@app.command("reject")
def reject(ctx: typer.Context, action_id: ActionId, reason: Reason = "") -> None:
    """Reject a pending step: it is not proposed again while its facts stand."""
    from modelfleet.cli.render import console

    with state(ctx).client() as client:
        row = client.reject_action(action_id, reason=reason)
    console.print(f"action {row.id} ({row.kind} of {row.fleet}/{row.tenant}) rejected")
