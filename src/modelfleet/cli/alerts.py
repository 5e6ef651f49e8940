"""``modelfleet alerts``: the alerts monitoring checks opened, and acknowledging them."""

from __future__ import annotations

from typing import Annotated

import typer

from modelfleet.cli.context import print_json_lines, state

app = typer.Typer(help="List and acknowledge monitoring alerts.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object per line, for scripts.")]


def register(root: typer.Typer) -> None:
    """Add the alerts commands to the root app."""
    root.add_typer(app, name="alerts")


@app.command("list")
def list_alerts(
    ctx: typer.Context,
    fleet: Annotated[str | None, typer.Option(help="Only this fleet.")] = None,
    env: Annotated[str | None, typer.Option("--env", help="Only this environment.")] = None,
    state_name: Annotated[str, typer.Option("--state", help="open, resolved or all.")] = "open",
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """Alerts, newest first: open ones unless --state says otherwise."""
    from modelfleet.cli.render_monitoring import alert_json, print_alerts

    if state_name not in ("open", "resolved", "all"):
        raise typer.BadParameter(f"{state_name!r}: use open, resolved or all", param_hint="--state")
    chosen = None if state_name == "all" else state_name
    with state(ctx).local_client() as client:
        found = client.alerts(fleet=fleet, environment=env, state=chosen, limit=limit)
    if as_json:
        print_json_lines(alert_json(a) for a in found)
    else:
        print_alerts(found)


@app.command("ack")
def ack(
    ctx: typer.Context,
    alert_id: Annotated[int, typer.Argument(help="The alert's id (alerts list).", min=1)],
    actor: Annotated[str | None, typer.Option(help="Who acknowledges (default: you).")] = None,
) -> None:
    """Record that you have seen an alert; it stays open until its condition clears."""
    from modelfleet.cli.render import console

    with state(ctx).local_client(actor=actor) as client:
        client.ack_alert(alert_id)
    console.print(f"alert {alert_id} acknowledged")
