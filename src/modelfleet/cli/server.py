"""``modelfleet server``: run the REST control plane with uvicorn."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from modelfleet.cli.context import state
from modelfleet.cli.exposure import check_exposure


def register(app: typer.Typer) -> None:
    """Add the server command to the root app."""
    app.command("server")(server)


def server(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Interface to listen on (0.0.0.0 for every interface).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    spec: Annotated[
        list[Path] | None,
        typer.Option(
            "--spec",
            help="A fleet.yaml whose promotion policy the server applies (repeat for several "
            "fleets); fleets without one are read-only.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    insecure: Annotated[
        bool,
        typer.Option(
            "--insecure",
            help="Listen on a non-loopback address with auth off (a proxy authenticates).",
        ),
    ] = False,
) -> None:
    """Serve runs and the model registry over HTTP (OpenAPI docs at /docs).

    With MODELFLEET_AUTH=on every request needs a bearer token (`modelfleet auth token`) and
    is checked against its grants; with auth off it binds loopback only unless --insecure."""
    import uvicorn

    from modelfleet.api.app import create_app
    from modelfleet.config.settings import Settings

    if log_level not in ("critical", "error", "warning", "info", "debug", "trace"):
        raise typer.BadParameter(
            f"{log_level!r} is not a uvicorn log level", param_hint="--log-level"
        )
    cli = state(ctx)
    if cli.server_url() is not None:
        raise typer.BadParameter(
            "a server serves its local stores; drop --url (or unset MODELFLEET_URL)",
            param_hint="--url",
        )
    env = dict(os.environ)
    if cli.home is not None:
        env["MODELFLEET_HOME"] = str(cli.home)
    settings = Settings.from_env(env).with_overrides(store_url=cli.store_url)
    check_exposure(
        host,
        protected=settings.auth,
        insecure=insecure,
        what="control plane",
        how="Turn auth on (MODELFLEET_AUTH=on, tokens from `modelfleet auth token`)",
    )
    app = create_app(settings, tuple(spec or ()))
    typer.echo(f"modelfleet control plane on http://{host}:{port} (docs: /docs)", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
