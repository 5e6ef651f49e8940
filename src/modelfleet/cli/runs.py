"""``modelfleet runs list|show|compare|fleets``."""

from __future__ import annotations

from typing import Annotated

import typer

from modelfleet.cli.context import print_json_lines, state

app = typer.Typer(no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object per line, for scripts.")]


@app.command("list")
def list_runs(
    ctx: typer.Context,
    fleet: Annotated[str | None, typer.Option(help="Only this fleet.")] = None,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant.")] = None,
    status: Annotated[str | None, typer.Option(help="succeeded, rejected or failed.")] = None,
    env: Annotated[str | None, typer.Option("--env", help="Only this environment.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many runs, newest first.")] = 50,
    as_json: JsonFlag = False,
) -> None:
    """List tenant runs, newest first."""
    from modelfleet.cli.render import print_runs_table, run_to_json

    if status is not None and status not in ("succeeded", "rejected", "failed"):
        raise typer.BadParameter(
            f"{status!r}: use succeeded, rejected or failed", param_hint="--status"
        )
    with state(ctx).client() as client:
        records = client.runs(
            fleet=fleet, tenant=tenant, status=status, environment=env, limit=limit
        )
    if as_json:
        print_json_lines(run_to_json(r) for r in records)
    else:
        print_runs_table(records)


@app.command("show")
def show(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Run id or a unique prefix of it (6+ characters).")],
    as_json: JsonFlag = False,
) -> None:
    """Show one run: status, metrics against the baseline, params, lineage, artifacts."""
    from modelfleet.cli.render import print_run, run_to_json

    with state(ctx).client() as client:
        record = client.run(run_id)
    if as_json:
        print_json_lines([run_to_json(record, full=True)])
    else:
        print_run(record)


@app.command("compare")
def compare(
    ctx: typer.Context,
    run_ids: Annotated[list[str], typer.Argument(help="Two or more run ids (or unique prefixes).")],
    as_json: JsonFlag = False,
) -> None:
    """Compare runs side by side: metrics, baseline metrics and params."""
    from modelfleet.cli.render import print_comparison

    if len(run_ids) < 2:
        raise typer.BadParameter("give at least two run ids", param_hint="RUN_IDS")
    with state(ctx).client() as client:
        records = [client.run(r) for r in run_ids]
    print_comparison(records, as_json=as_json)


@app.command("fleets")
def fleets(
    ctx: typer.Context,
    fleet: Annotated[str | None, typer.Option(help="Only this fleet.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 20,
    as_json: JsonFlag = False,
) -> None:
    """List fleet runs (one per train): who, why, outcome, tenants done and left.

    A run whose process died is shown interrupted, with what it recorded.
    """
    from modelfleet.cli.render_fleet_runs import fleet_run_to_json, print_fleet_runs

    with state(ctx).client() as client:
        records = client.fleet_runs(fleet, limit)
    if as_json:
        print_json_lines(fleet_run_to_json(r) for r in records)
    else:
        print_fleet_runs(records)
