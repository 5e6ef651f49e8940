"""``modelfleet validate`` and ``modelfleet train``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from modelfleet.cli.context import state

if TYPE_CHECKING:
    from modelfleet.config.settings import Settings
    from modelfleet.pipeline.runner import FleetRunSummary

SpecArg = Annotated[Path, typer.Argument(help="Path to the fleet.yaml.", show_default=False)]


def register(app: typer.Typer) -> None:
    """Add the training commands to the root app."""
    app.command("validate")(validate)
    app.command("train")(train)


def validate(
    ctx: typer.Context,
    spec: SpecArg,
    env: Annotated[
        str | None, typer.Option("--env", help="Apply this environment's overlay.")
    ] = None,
    data: Annotated[
        bool, typer.Option("--data", help="Also read and check every tenant's data.")
    ] = False,
) -> None:
    """Check a fleet spec (and with --data its data) without training."""
    from modelfleet.cli.render import print_findings

    client = state(ctx).local_client(ignore_url=True)
    report = client.validate(spec, env, data=data)
    typer.echo(f"{spec}: valid fleet spec '{report.spec.name}' ({report.spec.task})")
    if report.data is not None:
        print_findings(report.data)
        if report.data.failed:
            raise typer.Exit(1)


def train(
    ctx: typer.Context,
    spec: SpecArg,
    env: Annotated[str, typer.Option("--env", help="Environment to train for.")] = "dev",
    force: Annotated[
        bool, typer.Option("--force", help="Retrain tenants that are already done.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0, help="Worker processes (default: one per core; 0 runs in this process)."
        ),
    ] = None,
    executor: Annotated[
        str | None,
        typer.Option(
            "--executor",
            help="Executor: process or inline (default: MODELFLEET_EXECUTOR, else process).",
            show_default=False,
        ),
    ] = None,
    tenant: Annotated[
        list[str] | None,
        typer.Option(
            "--tenant",
            help="Train only this tenant id (repeat for more; default: every tenant).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Train every selected tenant of a fleet; re-running skips tenants already done."""
    from modelfleet.cli.render import print_summary

    client = state(ctx).local_client(workers=workers)
    settings = client.settings.with_overrides(executor=executor)
    summary = _train_with_progress(
        settings, client.actor, spec, env, force=force, tenants=tenant or None
    )
    print_summary(summary)
    if summary.status == "failed":
        raise typer.Exit(1)


def _train_with_progress(
    settings: Settings,
    actor: str,
    spec_path: Path,
    environment: str,
    *,
    force: bool,
    tenants: Sequence[str] | None,
) -> FleetRunSummary:
    """Train with a progress bar; Ctrl-C says how to resume and exits 130.

    This calls the runner directly, not ``Client.train``, because the client does not take a
    tenant selection or an executor name yet; the behaviour (listener, Ctrl-C) is the same.
    """
    from rich.console import Console

    from modelfleet.cli.render import RichListener
    from modelfleet.config.spec import load_spec
    from modelfleet.pipeline.runner import train_fleet

    fleet = load_spec(spec_path, environment)
    try:
        with RichListener() as listener:
            return train_fleet(
                fleet,
                settings,
                actor=actor,
                trigger="manual",
                tenants=tenants,
                force=force,
                listener=listener,
            )
    except KeyboardInterrupt:
        # Typer swallows KeyboardInterrupt before the entry point sees it, so say it here.
        Console(stderr=True).print(
            "[yellow]interrupted[/]: finished tenants are saved; run the same command to resume"
        )
        raise typer.Exit(130) from None
