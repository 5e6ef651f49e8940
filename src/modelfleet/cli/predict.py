"""``modelfleet predict``: batch-score a file of rows to forecast, every tenant at once.

The input is read with the fleet's source mapping (as training reads its data), each tenant is
forecast with its version in ``--env`` from the history ``train`` kept, and the scored rows go
to ``--output`` (Parquet, or CSV by suffix) stamped with model and version. Tenants that cannot
be scored are listed with the reason and never stop the others. Exit code: 0 every tenant
scored, 3 some did, 1 none did (as ``train``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelfleet.cli.context import fail, print_json_lines, state

EXIT_PARTIAL = 3


def register(app: typer.Typer) -> None:
    """Add the predict command to the root app."""
    app.command("predict")(predict)


def predict(
    ctx: typer.Context,
    spec: Annotated[Path, typer.Argument(help="Path to the fleet.yaml.", show_default=False)],
    output: Annotated[
        Path, typer.Option(help="Where the predictions go: .parquet or .csv.", show_default=False)
    ],
    input_path: Annotated[
        Path | None,
        typer.Option(
            "--input",
            help="File of rows to forecast (the fleet's source format).",
            show_default=False,
        ),
    ] = None,
    query: Annotated[
        str | None,
        typer.Option(
            help="Or a SQL query returning the rows (columns named as the source's mapping "
            "expects).",
            show_default=False,
        ),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            help="SQLAlchemy URL the --query runs on (default: the observations source's, when "
            "it is a SQL source).",
            show_default=False,
        ),
    ] = None,
    env: Annotated[str, typer.Option("--env", help="Environment whose models score.")] = "prod",
    source: Annotated[
        str | None,
        typer.Option(
            help="Source whose format and mapping read the input (default: observations)."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Failed tenants as JSON lines, for scripts.")
    ] = False,
) -> None:
    """Score every tenant's rows of a file (or a SQL query) with its version in an environment."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from modelfleet.cli.render import console
    from modelfleet.data.batch import BatchLocation
    from modelfleet.errors import ModelfleetError, UsageError

    suffix = output.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        fail(UsageError(f"--output {output}: write .parquet or .csv"))
    try:
        where = BatchLocation(path=input_path, query=query, url=url)
        with state(ctx).local_client() as client:
            loaded = client.validate(spec, environment=env).spec
            with Progress(
                TextColumn("[bold]scoring"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as progress:
                task = progress.add_task("scoring", total=None)
                result, tenants = client.score_file(
                    loaded,
                    where,
                    environment=env,
                    source=source,
                    advance=lambda _tenant: progress.advance(task),
                )
            _write(result.table(loaded.data_schema.timestamp), output, suffix)
    except ModelfleetError as exc:
        fail(exc)
    scored = tenants - len(result.failed)
    if as_json:
        print_json_lines({"tenant": t, "reason": r} for t, r in sorted(result.failed.items()))
    else:
        _print_failures(result.failed)
        console.print(
            f"{result.scored} row(s) of {scored} tenant(s) scored into {output}; "
            f"{len(result.failed)} tenant(s) failed"
        )
    if result.failed:
        raise typer.Exit(EXIT_PARTIAL if scored else 1)


def _write(table: object, output: Path, suffix: str) -> None:
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    assert isinstance(table, pa.Table)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial")
    if suffix == ".csv":
        pcsv.write_csv(table, partial)
    else:
        pq.write_table(table, partial, compression="zstd")
    partial.replace(output)  # never a half-written output file


def _print_failures(failed: dict[str, str]) -> None:
    if not failed:
        return
    from rich.table import Table

    from modelfleet.cli.render import console, natural_key

    table = Table(title="tenants not scored")
    table.add_column("tenant")
    table.add_column("reason", overflow="fold")
    for tenant in sorted(failed, key=natural_key)[:40]:
        table.add_row(tenant, failed[tenant])
    console.print(table)
    if len(failed) > 40:
        console.print(f"... and {len(failed) - 40} more (--json lists all)")
