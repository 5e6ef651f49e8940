"""``modelfleet demo-data`` and ``modelfleet quickstart``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from modelfleet.cli.context import state


class DemoKind(StrEnum):
    """Which demo export to write."""

    daily_stores = "daily-stores"
    weekly_departments = "weekly-departments"


def register(app: typer.Typer) -> None:
    """Add the demo commands to the root app."""
    app.command("demo-data")(demo_data)
    app.command("quickstart")(quickstart)


def demo_data(
    out: Annotated[Path, typer.Argument(help="Folder to write the demo fleet into.")] = Path(
        "demo"
    ),
    stores: Annotated[int, typer.Option(min=3, max=5000, help="Number of stores (tenants).")] = 12,
    days: Annotated[int, typer.Option(min=120, max=3660, help="Days of history per store.")] = 730,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 0,
    kind: Annotated[
        DemoKind,
        typer.Option(
            help="daily-stores: the quickstart fleet; weekly-departments: a raw weekly "
            "store x department export (docs/onboarding.md)."
        ),
    ] = DemoKind.daily_stores,
    departments: Annotated[
        int, typer.Option(min=1, max=500, help="Departments per store (weekly-departments).")
    ] = 20,
) -> None:
    """Write synthetic retail sales plus fleet specs that train them (daily by default)."""
    if kind is DemoKind.weekly_departments:
        from modelfleet.data.demo_weekly import generate_weekly_departments

        weekly = generate_weekly_departments(out, stores=stores, departments=departments, seed=seed)
        typer.echo(
            f"wrote a weekly export for {stores} stores x {departments} departments "
            f"({weekly.rows:,} sales rows) to {out}/ (specs: {weekly.spec_path}, "
            f"{weekly.store_spec_path})"
        )
        return
    from modelfleet.data.demo import generate_demo_data

    result = generate_demo_data(out, stores=stores, days=days, seed=seed)
    typer.echo(f"wrote demo fleet for {stores} stores to {out}/ (spec: {result.spec_path})")


def quickstart(
    ctx: typer.Context,
    stores: Annotated[int, typer.Option(min=3, max=500, help="Number of demo stores.")] = 12,
    workers: Annotated[
        int | None, typer.Option(min=0, help="Worker processes (default: one per core).")
    ] = None,
) -> None:
    """Generate demo data, train the demo fleet in dev, and show where everything went."""
    from rich.console import Console

    from modelfleet.cli.render import print_summary, train_with_progress
    from modelfleet.data.demo import generate_demo_data

    console = Console(highlight=False)
    client = state(ctx).local_client(workers=workers)
    demo_dir = client.settings.home / "demo"
    console.print(f"[bold]1/2[/] generating demo data for {stores} stores in {demo_dir}")
    result = generate_demo_data(demo_dir, stores=stores)
    console.print(f"[bold]2/2[/] training fleet from {result.spec_path} (environment dev)")
    summary = train_with_progress(client, result.spec_path, "dev")
    print_summary(summary)
    console.print()
    console.print("[bold]Where everything went[/]")
    console.print(f"  fleet spec      {result.spec_path}")
    console.print(f"  demo data       {demo_dir}")
    console.print(f"  metadata store  {client.settings.store_url}")
    console.print(f"  artifacts       {client.settings.artifacts_url}")
    console.print()
    console.print(
        "Next: [cyan]modelfleet runs list[/], [cyan]modelfleet runs show <run-id>[/], "
        f"or edit {result.spec_path} and run [cyan]modelfleet train {result.spec_path}[/]"
    )
    client.close()
    if summary.status == "failed":
        raise typer.Exit(1)
