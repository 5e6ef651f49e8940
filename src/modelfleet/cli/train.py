"""``modelfleet validate`` and ``modelfleet train``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelfleet.cli.context import state

# docs/reliability.md "Exit codes": the same fleet and data give the same code on every re-run.
EXIT_PARTIAL = 3
TRAIN_EXIT_CODES = {"failed": 1, "partial": EXIT_PARTIAL}

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
    allow_identical: Annotated[
        bool,
        typer.Option(
            "--allow-identical",
            help="Register a new version even when a retrain repeats one exactly (same data, "
            "spec and signature); by default that version is kept.",
        ),
    ] = False,
) -> None:
    """Train every selected tenant of a fleet; re-running skips tenants already done."""
    from modelfleet.cli.render import print_summary, train_with_progress

    client = state(ctx).local_client(workers=workers)
    summary = train_with_progress(
        client,
        spec,
        env,
        force=force,
        tenants=tenant or None,
        executor=executor,
        allow_identical=allow_identical,
    )
    print_summary(summary)
    code = TRAIN_EXIT_CODES.get(summary.status, 0)
    if code:
        raise typer.Exit(code)
