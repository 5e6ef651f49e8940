"""``modelfleet traffic``: change how a tenant's requests split while the server runs.

``set`` replaces the fleet spec's ``serving.routing`` for one tenant in one environment (a
canary, an A/B test, a shadow), ``clear`` goes back to the spec's, ``show`` says what applies.
Every change is an event in the model's history (``modelfleet history``) with who and why; a
running prediction server applies it within about a second.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from modelfleet.cli.context import fail, state

app = typer.Typer(
    help="Change how a tenant's requests split (canary, A/B, shadow) while the server runs.",
    no_args_is_help=True,
)

Model = Annotated[str, typer.Argument(help="fleet/tenant.", show_default=False)]
Env = Annotated[str, typer.Option("--env", help="Environment (alias) whose traffic it is.")]
Actor = Annotated[
    str | None, typer.Option(help="Who does this, for the history (default: your user name).")
]
Reason = Annotated[str, typer.Option(help="Why, for the history.")]


def register(root: typer.Typer) -> None:
    """Add the traffic commands to the root app."""
    root.add_typer(app, name="traffic")


@app.command("set")
def set_traffic(
    ctx: typer.Context,
    model: Model,
    env: Env = "prod",
    mode: Annotated[
        str, typer.Option(help="champion, ab, canary or shadow.", show_default=False)
    ] = "canary",
    share: Annotated[
        float | None,
        typer.Option(help="Share of requests the challenger answers (ab: 0.5, canary: 0.05)."),
    ] = None,
    challenger: Annotated[
        str, typer.Option(help="Alias of the challenger version.")
    ] = "challenger",
    actor: Actor = None,
    reason: Reason = "",
) -> None:
    """Route a tenant's requests in an environment, from now on."""
    from modelfleet.cli.render_models import print_events
    from modelfleet.errors import ModelfleetError

    try:
        with state(ctx).client(actor=actor) as client:
            event = client.set_traffic(
                model, env, mode=mode, share=share, challenger=challenger, reason=reason
            )
    except ModelfleetError as exc:
        fail(exc)
    print_events([event])


@app.command("clear")
def clear_traffic(
    ctx: typer.Context, model: Model, env: Env = "prod", actor: Actor = None, reason: Reason = ""
) -> None:
    """Go back to the spec's routing for a tenant in an environment."""
    from modelfleet.cli.render_models import print_events
    from modelfleet.errors import ModelfleetError

    try:
        with state(ctx).client(actor=actor) as client:
            event = client.clear_traffic(model, env, reason=reason)
    except ModelfleetError as exc:
        fail(exc)
    print_events([event])


@app.command("show")
def show_traffic(
    ctx: typer.Context,
    model: Model,
    env: Env = "prod",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object, for scripts.")] = False,
) -> None:
    """The run-time routing of a tenant in an environment, if one is set."""
    from modelfleet.cli.render import console
    from modelfleet.errors import ModelfleetError
    from modelfleet.registry.traffic import describe

    try:
        with state(ctx).client() as client:
            setting = client.traffic(model, env)
    except ModelfleetError as exc:
        fail(exc)
    if as_json:
        body = None
        if setting is not None:
            body = {
                "model": setting.model,
                "environment": setting.environment,
                **setting.routing.model_dump(),
                "challenger_share": setting.routing.challenger_share,
                "updated_at": setting.updated_at.isoformat(),
                "actor": setting.actor,
                "reason": setting.reason,
            }
        typer.echo(json.dumps(body))
        return
    if setting is None:
        console.print(
            f"{model}@{env}: no run-time traffic setting; the fleet spec's routing applies"
        )
        return
    why = f": {setting.reason}" if setting.reason else ""
    console.print(
        f"{model}@{env}: {describe(setting.routing)} (set by {setting.actor} at "
        f"{setting.updated_at:%Y-%m-%d %H:%M:%S} UTC{why})"
    )
