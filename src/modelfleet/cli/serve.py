"""``modelfleet serve``: the prediction server (uvicorn) for one environment of some fleets."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from modelfleet.cli.context import fail, state
from modelfleet.cli.exposure import check_exposure


def register(app: typer.Typer) -> None:
    """Add the serve command to the root app."""
    app.command("serve")(serve)


def serve(
    ctx: typer.Context,
    specs: Annotated[
        list[Path] | None,
        typer.Argument(
            help="fleet.yaml of each fleet to serve (default: every fleet in the store)",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    env: Annotated[str, typer.Option("--env", help="Environment whose models answer.")] = "prod",
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8080,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Server processes (each has its own model cache).")
    ] = 1,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    insecure: Annotated[
        bool,
        typer.Option(
            "--insecure",
            help="Listen on a non-loopback address with auth off (a proxy authenticates).",
        ),
    ] = False,
) -> None:
    """Serve every tenant's model of an environment: POST /v1/fleets/F/tenants/T/predict."""
    import uvicorn

    from modelfleet.config.spec import load_spec
    from modelfleet.errors import ModelfleetError
    from modelfleet.registry.refs import check_alias
    from modelfleet.serving.asgi import ENVIRONMENT_VAR, SPECS_VAR
    from modelfleet.serving.request_log import log_config

    if log_level not in ("critical", "error", "warning", "info", "debug", "trace"):
        raise typer.BadParameter(
            f"{log_level!r} is not a uvicorn log level", param_hint="--log-level"
        )
    from modelfleet.config.settings import parse_auth

    check_exposure(
        host,
        protected=parse_auth(os.environ.get("MODELFLEET_AUTH", "")),
        insecure=insecure,
        what="prediction server",
        how="Turn auth on (MODELFLEET_AUTH=on, tokens from `modelfleet auth token`)",
    )
    cli = state(ctx)
    if cli.server_url() is not None:
        raise typer.BadParameter(
            "a prediction server serves its local stores; drop --url (or unset MODELFLEET_URL)",
            param_hint="--url",
        )
    try:
        check_alias(env)
        fleets = [load_spec(path, env).name for path in specs or ()]
    except ModelfleetError as exc:
        fail(exc)
    if cli.home is not None:
        os.environ["MODELFLEET_HOME"] = str(cli.home)
    if cli.store_url is not None:
        os.environ["MODELFLEET_STORE_URL"] = cli.store_url
    os.environ[ENVIRONMENT_VAR] = env
    os.environ[SPECS_VAR] = os.pathsep.join(str(path.resolve()) for path in specs or ())
    served = ", ".join(fleets) if fleets else "every fleet"
    typer.echo(f"modelfleet prediction server ({served}, {env}) on http://{host}:{port}", err=True)
    uvicorn.run(
        "modelfleet.serving.asgi:app_from_environ",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        log_config=log_config("debug" if log_level == "trace" else log_level),
        access_log=False,  # the server's own JSON request lines replace uvicorn's access log
    )
