"""``modelfleet models list|search|show|versions|tag|alias|archive``: the model registry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

import typer

from modelfleet.cli.context import print_json_lines, state

if TYPE_CHECKING:
    from modelfleet.registry.records import VersionStatus

app = typer.Typer(no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object per line, for scripts.")]
Actor = Annotated[
    str | None, typer.Option(help="Who does this, for the history (default: your user name).")
]
Reason = Annotated[str, typer.Option(help="Why, for the history.")]
Fleet = Annotated[str | None, typer.Option(help="Only this fleet.")]
Tenant = Annotated[str | None, typer.Option(help="Only this tenant.")]
Env = Annotated[
    str | None, typer.Option("--env", help="Only versions this environment (alias) points at.")
]
Status = Annotated[str | None, typer.Option(help="candidate, active or archived.")]
Limit = Annotated[int, typer.Option(min=1, max=10_000, help="At most this many versions.")]
VERSION_STATUSES = ("candidate", "active", "archived")


def _status(status: str | None) -> VersionStatus | None:
    if status is not None and status not in VERSION_STATUSES:
        raise typer.BadParameter(
            f"{status!r}: use candidate, active or archived", param_hint="--status"
        )
    return cast("VersionStatus | None", status)


def _pairs(values: list[str], sep: str, hint: str, example: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        key, found, text = value.partition(sep)
        if not found or not key.strip():
            raise typer.BadParameter(
                f"{value!r}: write KEY{sep}VALUE, e.g. {example}", param_hint=hint
            )
        pairs[key.strip()] = text
    return pairs


@app.command("list")
def list_models(
    ctx: typer.Context,
    fleet: Fleet = None,
    tenant: Tenant = None,
    env: Env = None,
    status: Status = None,
    limit: Limit = 100,
    as_json: JsonFlag = False,
) -> None:
    """List models: each model's newest version matching the filters."""
    from modelfleet.cli.render_models import print_versions_table, version_to_json

    with state(ctx).client() as client:
        found = client.search(
            fleet=fleet,
            tenant=tenant,
            environment=env,
            status=_status(status),
            latest_only=True,
            limit=limit,
        )
    if as_json:
        print_json_lines(version_to_json(v) for v in found)
    else:
        print_versions_table(found, f"{len(found)} model(s), newest version of each")


@app.command("search")
def search(
    ctx: typer.Context,
    fleet: Fleet = None,
    tenant: Tenant = None,
    tag: Annotated[
        list[str] | None, typer.Option(help="KEY:VALUE tag the version must have (repeatable).")
    ] = None,
    env: Env = None,
    status: Status = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(help="Threshold like 'wmape>0.3' or 'baseline.mae<=12' (repeatable)."),
    ] = None,
    latest: Annotated[
        bool, typer.Option("--latest", help="Only each model's newest matching version.")
    ] = False,
    limit: Limit = 100,
    as_json: JsonFlag = False,
) -> None:
    """Search versions by fleet, tenant, tag, environment, status and metric thresholds."""
    from modelfleet.cli.render_models import print_versions_table, version_to_json
    from modelfleet.errors import UsageError
    from modelfleet.registry.records import MetricFilter

    tags = _pairs(tag or [], ":", "--tag", "customer:acme")
    filters = []
    for text in metric or []:
        try:
            filters.append(MetricFilter.parse(text))
        except UsageError as exc:
            raise typer.BadParameter(exc.message, param_hint="--metric") from None
    with state(ctx).client() as client:
        found = client.search(
            fleet=fleet,
            tenant=tenant,
            tags=tags,
            environment=env,
            status=_status(status),
            metrics=filters,
            latest_only=latest,
            limit=limit,
        )
    if as_json:
        print_json_lines(version_to_json(v) for v in found)
    else:
        print_versions_table(found, f"{len(found)} version(s)")


@app.command("show")
def show(
    ctx: typer.Context,
    ref: Annotated[
        str, typer.Argument(help="fleet/tenant@alias, fleet/tenant:1.2.0 or fleet/tenant.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Show one version: status, aliases, metrics vs baseline, tags, lineage, signature."""
    from modelfleet.cli.render_models import print_version, version_to_json

    with state(ctx).client() as client:
        version = client.resolve(ref)
    if as_json:
        print_json_lines([version_to_json(version)])
    else:
        print_version(version)


@app.command("versions")
def versions(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="fleet/tenant.")],
    as_json: JsonFlag = False,
) -> None:
    """Every version of a model, newest first, with the aliases on each."""
    from modelfleet.cli.render_models import print_versions_table, version_to_json

    with state(ctx).client() as client:
        found = client.versions(model)
    if as_json:
        print_json_lines(version_to_json(v) for v in found)
    else:
        print_versions_table(found, f"{model}: {len(found)} version(s), newest first")


@app.command("tag")
def tag(
    ctx: typer.Context,
    ref: Annotated[str, typer.Argument(help="The version: fleet/tenant:1.2.0, @alias, ...")],
    tags: Annotated[
        list[str] | None, typer.Argument(help="KEY=VALUE tags to set (merged over the old ones).")
    ] = None,
    description: Annotated[str | None, typer.Option(help="A new description.")] = None,
    actor: Actor = None,
    reason: Reason = "",
    as_json: JsonFlag = False,
) -> None:
    """Set tags and/or the description of a version: recorded as a new PATCH version."""
    from modelfleet.cli.render_models import version_to_json

    pairs = _pairs(tags or [], "=", "TAGS", "customer=acme")
    if not pairs and description is None:
        raise typer.BadParameter("give KEY=VALUE tags and/or --description", param_hint="TAGS")
    with state(ctx).client(actor=actor) as client:
        version = client.update_metadata(
            ref, tags=pairs or None, description=description, reason=reason
        )
    if as_json:
        print_json_lines([version_to_json(version)])
    else:
        typer.echo(f"{version.ref}: tags and description recorded")


@app.command("alias")
def alias(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="fleet/tenant.")],
    name: Annotated[str, typer.Argument(help="The alias, e.g. champion or challenger.")],
    version: Annotated[str, typer.Option(help="The version it points at, e.g. 1.2.0.")],
    actor: Actor = None,
    reason: Reason = "",
) -> None:
    """Point an alias at a version without asking the promotion policy (experiments)."""
    from modelfleet.cli.render_models import print_events

    with state(ctx).client(actor=actor) as client:
        event = client.set_alias(model, name, version, reason=reason)
    print_events([event])


@app.command("archive")
def archive(
    ctx: typer.Context,
    model: Annotated[str, typer.Argument(help="fleet/tenant.")],
    version: Annotated[str, typer.Option(help="The version to retire, e.g. 1.0.0.")],
    actor: Actor = None,
    reason: Reason = "",
) -> None:
    """Retire a version: it stays readable but cannot be promoted (refused while aliased)."""
    from modelfleet.cli.render_models import print_events

    with state(ctx).client(actor=actor) as client:
        event = client.archive(model, version, reason=reason)
    print_events([event])
