"""The ``modelfleet`` command: a Typer app whose command modules import heavy libraries lazily.

``modelfleet --help`` must answer fast, so this module and the command modules import only Typer
and the standard library at the top; pandas, LightGBM, DuckDB and SQLAlchemy load inside the
commands that need them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from modelfleet.cli import (
    alerts,
    auth,
    autopilot,
    demo,
    doctor,
    features,
    forecast,
    keys,
    lifecycle,
    models,
    monitor,
    predict,
    runs,
    serve,
    server,
    traffic,
    train,
)
from modelfleet.cli.context import CliState, fail
from modelfleet.version import __version__

app = typer.Typer(
    name="modelfleet",
    help="Train, track and ship one model per tenant from one fleet.yaml.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(runs.app, name="runs", help="List, show and compare tenant runs.")
app.add_typer(
    models.app, name="models", help="List, search, show, tag and archive registered models."
)
app.add_typer(
    features.app,
    name="features",
    help="List, show, materialize and look up the feature views of a fleet spec.",
)
train.register(app)
lifecycle.register(app)
server.register(app)
serve.register(app)
predict.register(app)
forecast.register(app)
traffic.register(app)
monitor.register(app)
alerts.register(app)
autopilot.register(app)
auth.register(app)
demo.register(app)
doctor.register(app)
keys.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"modelfleet {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    home: Annotated[
        Path | None,
        typer.Option(
            help="Where modelfleet keeps its files (env MODELFLEET_HOME; default ./.modelfleet)."
        ),
    ] = None,
    store_url: Annotated[
        str | None,
        typer.Option(
            help="Metadata store URL (sqlite:///..., postgresql://...) (env MODELFLEET_STORE_URL)."
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            help="A modelfleet server (http://host:8000) to work with instead of the local "
            "store (env MODELFLEET_URL).",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Train, track and ship one model per tenant from one fleet.yaml."""
    if url is not None and (home is not None or store_url is not None):
        raise typer.BadParameter(
            "--url works with a server's stores; drop --home/--store-url", param_hint="--url"
        )
    if url is not None and not url.startswith(("http://", "https://")):
        raise typer.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--url")
    ctx.obj = CliState(home=home, store_url=store_url, url=url)


def main() -> None:
    """Console-script entry point: run the app and turn modelfleet errors into clean messages."""
    from modelfleet.cli.signals import exit_code, stop_message, stop_on_sigterm
    from modelfleet.errors import ModelfleetError

    stop_on_sigterm()
    try:
        app()
    except ModelfleetError as exc:
        fail(exc)
    except KeyboardInterrupt as exc:
        typer.echo(stop_message(exc), err=True)
        sys.exit(exit_code(exc))
