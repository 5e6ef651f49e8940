"""``modelfleet monitor``: how the live models of a fleet are doing.

``drift`` compares what each tenant's live version was asked over a span of the prediction log
with its training data (the version's reference profile) and says which tenants drift, which
columns, and by how much; tenants that cannot be monitored are listed with the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from modelfleet.cli.context import print_json_lines, state

app = typer.Typer(
    help="Drift of the live models against their training data.", no_args_is_help=True
)

SpecPath = Annotated[Path, typer.Argument(help="The fleet.yaml.", show_default=False)]
Env = Annotated[
    str, typer.Option("--env", help="Environment (alias) whose live versions to check.")
]
Since = Annotated[
    str | None,
    typer.Option(
        help="Start of the span: a duration back from --until (7d, 12h) or a time "
        "(2026-12-01T00:00:00Z). Default: the spec's monitoring.drift.window.",
        show_default=False,
    ),
]
Until = Annotated[
    str | None,
    typer.Option(help="End of the span, a time (default: now).", show_default=False),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object per line, for scripts.")]


def register(root: typer.Typer) -> None:
    """Add the monitor commands to the root app."""
    root.add_typer(app, name="monitor")


def _time(text: str, option: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is neither a duration (7d, 12h) nor a time such as 2026-12-01T00:00:00Z",
            param_hint=option,
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _span(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    from modelfleet.config.feature_blocks import parse_duration

    end = _time(until, "--until") if until is not None else None
    if since is None:
        return None, end
    try:
        back = parse_duration(since)
    except ValueError:
        return _time(since, "--since"), end
    return (end or datetime.now(UTC)) - back, end or datetime.now(UTC)


@app.command("drift")
def drift(
    ctx: typer.Context,
    spec: SpecPath,
    env: Env = "prod",
    since: Since = None,
    until: Until = None,
    columns: Annotated[
        bool, typer.Option("--columns", help="Also list every drifted column with its figures.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Which tenants' live inputs drifted from their training data, and which columns."""
    from modelfleet.cli.render_monitoring import drift_json, print_drift

    start, end = _span(since, until)
    with state(ctx).client() as client:
        report = client.drift(spec, environment=env, since=start, until=end)
    if as_json:
        print_json_lines(drift_json(report))
    else:
        print_drift(report, columns=columns)
