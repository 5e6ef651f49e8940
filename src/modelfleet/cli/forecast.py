"""``modelfleet forecast``: one tenant's forecast from its history, as the server answers it.

``--horizon N`` forecasts the N periods after the latest known target; ``--input FILE`` (a JSON
list of records: the timestamp and the covariates known ahead) forecasts those dates. Works on a
local home, or with ``--url`` against a prediction server (``modelfleet serve``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from modelfleet.cli.context import fail, print_json_lines, state


def register(app: typer.Typer) -> None:
    """Add the forecast command to the root app."""
    app.command("forecast")(forecast)


def _records(path: Path | None) -> list[Any]:
    from modelfleet.errors import UsageError

    if path is None:
        return []
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"--input {path}: not a readable JSON file ({exc})") from exc
    if not isinstance(records, list):
        raise UsageError(f"--input {path}: write a JSON list of records, one per date")
    return records


def forecast(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="fleet/tenant.", show_default=False)],
    spec: Annotated[
        Path | None, typer.Option(help="The fleet.yaml (needed on a local home).")
    ] = None,
    env: Annotated[str, typer.Option("--env", help="Environment whose model answers.")] = "prod",
    horizon: Annotated[
        int | None, typer.Option(min=1, help="Periods after the latest known target.")
    ] = None,
    input_path: Annotated[
        Path | None,
        typer.Option("--input", help="JSON list of records: timestamp and covariates per date."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per date.")] = False,
) -> None:
    """Forecast a tenant's next periods (or the dates of a file) with its live version."""
    from modelfleet.cli.render import console
    from modelfleet.errors import ModelfleetError

    try:
        records = _records(input_path)
        with state(ctx).client() as client:
            answer = client.forecast(
                model, spec=spec, environment=env, horizon=horizon, records=records
            )
    except ModelfleetError as exc:
        fail(exc)
    stamps = answer.timestamps.astype("datetime64[s]").astype(str).tolist()
    values = answer.values.tolist()
    if as_json:
        print_json_lines(
            {"timestamp": t, "value": v, "model": answer.model, "version": answer.version}
            for t, v in zip(stamps, values, strict=True)
        )
        return
    from rich.table import Table

    table = Table(title=f"{answer.model} {answer.version} ({answer.environment}, {answer.arm})")
    table.add_column("timestamp")
    table.add_column("forecast", justify="right")
    for stamp, value in zip(stamps, values, strict=True):
        table.add_row(stamp, f"{value:,.2f}")
    console.print(table)
