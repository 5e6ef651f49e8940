"""``modelfleet monitor`` and ``modelfleet feedback``: how the live models of a fleet are doing.

``monitor drift`` compares what each tenant's live version was asked over a span of the
prediction log with its training data (the version's reference profile) and says which tenants
drift, which columns, and by how much; tenants that cannot be monitored are listed with the
reason. ``feedback`` stores ground truth in the fleet's own format; ``monitor performance``
sets the live error of each tenant, version and arm against its holdout; ``monitor report``
writes all of it, with charts, into one self-contained HTML page.
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
        "(2026-12-01T00:00:00Z). Default: the spec's window (drift 7d, performance 28d; "
        "usage 7d).",
        show_default=False,
    ),
]
Until = Annotated[
    str | None,
    typer.Option(help="End of the span, a time (default: now).", show_default=False),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object per line, for scripts.")]


def register(root: typer.Typer) -> None:
    """Add the monitor commands and ``feedback`` to the root app."""
    root.add_typer(app, name="monitor")
    root.command("feedback")(feedback)
    root.command("usage")(usage)


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


def feedback(
    ctx: typer.Context,
    spec: SpecPath,
    input_path: Annotated[
        Path | None,
        typer.Option(
            "--input", help="File of actuals (the fleet's source format).", show_default=False
        ),
    ] = None,
    query: Annotated[
        str | None, typer.Option(help="Or a SQL query returning them.", show_default=False)
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(help="SQLAlchemy URL the --query runs on.", show_default=False),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            help="Source whose format and mapping read the input (default: observations)."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Store ground truth (the target observed after serving) for later performance checks."""
    from modelfleet.cli.render_monitoring import feedback_json, print_feedback
    from modelfleet.data.batch import BatchLocation

    where = BatchLocation(path=input_path, query=query, url=url)
    with state(ctx).local_client() as client:
        report = client.feedback(spec, where, source=source)
    if as_json:
        print_json_lines([feedback_json(report)])
    else:
        print_feedback(report)
    if report.stored == 0 and report.unchanged == 0 and report.rows:
        raise typer.Exit(1)  # nothing of the input could be used


@app.command("performance")
def performance(
    ctx: typer.Context,
    spec: SpecPath,
    env: Env = "prod",
    since: Since = None,
    until: Until = None,
    by: Annotated[str, typer.Option(help="all, day or week (of the dates predicted).")] = "all",
    as_json: JsonFlag = False,
) -> None:
    """Live WMAPE, MAE and RMSE per tenant, version and arm against each version's holdout."""
    from modelfleet.cli.render_monitoring import performance_json, print_performance
    from modelfleet.monitoring.performance import Period

    if by not in ("all", "day", "week"):
        raise typer.BadParameter(f"{by!r}: use all, day or week", param_hint="--by")
    start, end = _span(since, until)
    period: Period = by  # type: ignore[assignment]
    with state(ctx).client() as client:
        report = client.performance(spec, environment=env, since=start, until=end, by=period)
    if as_json:
        print_json_lines(performance_json(report))
    else:
        print_performance(report)


def usage(
    ctx: typer.Context,
    fleet: Annotated[str, typer.Argument(help="The fleet's name.", show_default=False)],
    env: Env = "prod",
    since: Since = None,
    until: Until = None,
    as_json: JsonFlag = False,
) -> None:
    """What each tenant costs to train, and how it is served (requests, latency)."""
    from modelfleet.cli.render_usage import print_usage, usage_json

    start, end = _span(since, until)
    with state(ctx).local_client() as client:
        report = client.usage(fleet, environment=env, since=start, until=end)
    if as_json:
        print_json_lines(usage_json(report))
    else:
        print_usage(report)


@app.command("report")
def report(
    ctx: typer.Context,
    spec: SpecPath,
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="The HTML file to write (its folder must exist).", show_default=False
        ),
    ],
    env: Env = "prod",
    since: Since = None,
    until: Until = None,
    by: Annotated[str, typer.Option(help="day or week: the WMAPE chart's periods.")] = "week",
    max_tenants: Annotated[
        int,
        typer.Option(help="Tenants given charts (drifted, then degraded, first); 0: the table."),
    ] = 50,
    as_json: Annotated[
        bool, typer.Option("--json", help="A summary object (path, bytes, tenants, plotted).")
    ] = False,
) -> None:
    """One self-contained HTML page: every tenant's drift, performance and alerts, and charts."""
    from modelfleet.cli.render_monitoring import print_report, report_json
    from modelfleet.monitoring.performance import Period

    if by not in ("day", "week"):
        raise typer.BadParameter(f"{by!r}: use day or week", param_hint="--by")
    start, end = _span(since, until)
    period: Period = by  # type: ignore[assignment]
    with state(ctx).local_client() as client:
        made = client.report(
            spec,
            environment=env,
            since=start,
            until=end,
            by=period,
            max_tenants=max_tenants,
            out=out,
        )
    if as_json:
        print_json_lines([report_json(made)])
    else:
        print_report(made)


@app.command("check")
def check(ctx: typer.Context, spec: SpecPath, env: Env = "prod", as_json: JsonFlag = False) -> None:
    """Drift and performance over the spec's windows; open, refresh and resolve alerts."""
    from modelfleet.cli.render_monitoring import check_json, print_check

    with state(ctx).local_client() as client:
        report = client.check(spec, environment=env)
    if as_json:
        print_json_lines(check_json(report))
    else:
        print_check(report)
    if report.sink_failures:
        raise typer.Exit(1)  # the alerts are stored; a sink did not get them


@app.command("status")
def status(
    ctx: typer.Context,
    fleet: Annotated[str, typer.Argument(help="The fleet's name.", show_default=False)],
    env: Env = "prod",
    as_json: JsonFlag = False,
) -> None:
    """The fleet's health: each tenant's live version and open alerts, unhealthy first."""
    from modelfleet.cli.render_monitoring import print_status, status_json

    with state(ctx).local_client() as client:
        found = client.status(fleet, environment=env)
    if as_json:
        print_json_lines(status_json(found))
    else:
        print_status(fleet, env, found)
