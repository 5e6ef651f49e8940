"""``modelfleet features list|show|materialize|get``: the feature views a fleet spec declares.

The commands read the spec's ``feature_views:`` and ``on_demand_features:`` and the online store
named by ``--online-url`` (else ``MODELFLEET_ONLINE_URL``, else ``online.db`` in the home). They
work on local files and that online store only; a control-plane ``--url`` does not apply. Views
over the fleet's own data (source ``fleet``) load it only when a command reads feature rows.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NamedTuple

import typer

from modelfleet.cli.context import print_json_lines, state

if TYPE_CHECKING:
    from modelfleet.config.spec import FleetSpec
    from modelfleet.features.service import FeatureStore

app = typer.Typer(no_args_is_help=True)

SpecArg = Annotated[Path, typer.Argument(help="Path to the fleet.yaml.", show_default=False)]
JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object per line, for scripts.")]
Env = Annotated[
    str | None,
    typer.Option(
        "--env", help="Apply this environment's overlay (its sources feed 'fleet' views)."
    ),
]
OnlineUrl = Annotated[
    str | None,
    typer.Option(
        "--online-url",
        help="Online store: sqlite:///path/online.db, redis://host:6379/0 or memory://name "
        "(env MODELFLEET_ONLINE_URL; default sqlite:///$MODELFLEET_HOME/online.db).",
    ),
]
_INTEGER = re.compile(r"^-?[1-9][0-9]*$|^0$")


def resolve_online_url(ctx: typer.Context, flag: str | None) -> str:
    """``--online-url``, else the settings' URL (``MODELFLEET_ONLINE_URL`` or the home's file)."""
    if flag:
        return flag
    from modelfleet.config.settings import Settings

    env = dict(os.environ)
    home = state(ctx).home
    if home is not None:
        env["MODELFLEET_HOME"] = str(home)
    return Settings.from_env(env).online_url


def parse_time(text: str | None, flag: str) -> datetime | None:
    """An ISO 8601 date or timestamp as an aware UTC datetime (naive values are UTC)."""
    if text is None:
        return None
    from modelfleet.features.clock import as_utc

    try:
        return as_utc(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not an ISO 8601 timestamp; write e.g. 2024-01-31 or "
            "2024-01-31T12:00:00+00:00 (no zone means UTC)",
            param_hint=flag,
        ) from None


def parse_value(text: str) -> int | str:
    """An entity value: an int when the text is one written canonically ('7', not '007')."""
    return int(text) if _INTEGER.match(text) else text


def parse_entities(pairs: list[str], as_json: str | None) -> dict[str, list[object]]:
    """The request's entity columns from ``--entity col=value`` or ``--entities-json``."""
    if pairs and as_json is not None:
        raise typer.BadParameter(
            "give --entity COL=VALUE (one entity) or --entities-json (many), not both",
            param_hint="--entities-json",
        )
    if as_json is not None:
        return _entities_from_json(as_json)
    if not pairs:
        raise typer.BadParameter(
            "give the entity to look up, e.g. --entity store=1 (repeat for composite keys)",
            param_hint="--entity",
        )
    columns: dict[str, list[object]] = {}
    for pair in pairs:
        column, found, value = pair.partition("=")
        column = column.strip()
        if not found or not column:
            raise typer.BadParameter(
                f"{pair!r}: write COLUMN=VALUE, e.g. store=1", param_hint="--entity"
            )
        if column in columns:
            raise typer.BadParameter(
                f"{column!r} is given twice; for many entities use "
                "--entities-json '{\"" + column + "\": [1, 2]}'",
                param_hint="--entity",
            )
        columns[column] = [parse_value(value.strip())]
    return columns


def _entities_from_json(text: str) -> dict[str, list[object]]:
    hint = "--entities-json"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not valid JSON ({exc.msg})", param_hint=hint) from None
    if not isinstance(data, dict) or not data:
        raise typer.BadParameter(
            'give an object of columns to lists of values, e.g. {"store": [1, 2]}', param_hint=hint
        )
    columns = {str(k): v if isinstance(v, list) else [v] for k, v in data.items()}
    lengths = {len(v) for v in columns.values()}
    if len(lengths) > 1 or 0 in lengths:
        raise typer.BadParameter(
            f"every column needs the same, non-zero number of values (got {sorted(lengths)})",
            param_hint=hint,
        )
    for name, values in columns.items():
        bad = [v for v in values if v is None or isinstance(v, dict | list | float | bool)]
        if bad:
            raise typer.BadParameter(
                f"column {name!r}: entity keys are integers or text, not {bad[0]!r}",
                param_hint=hint,
            )
    return columns


def _load(spec: Path, env: str | None) -> FleetSpec:
    from modelfleet.config.spec import load_spec

    return load_spec(spec, env)


def _check_views(loaded: FleetSpec, names: list[str], hint: str) -> None:
    known = [v.name for v in loaded.feature_views]
    if not known:
        raise typer.BadParameter(
            f"fleet spec {loaded.name!r} declares no feature_views (see docs/features.md)",
            param_hint=hint,
        )
    for name in names:
        if name not in known:
            raise typer.BadParameter(
                f"no feature view named {name!r}; known views: {sorted(known)}", param_hint=hint
            )


def _open(loaded: FleetSpec, url: str, views: list[str]) -> FeatureStore:
    """The spec's feature store; the fleet's data is loaded only if one of ``views`` reads it."""
    from modelfleet.features.service import FLEET_SOURCE, FeatureStore

    if any(v.source == FLEET_SOURCE for v in loaded.feature_views if v.name in views):
        return FeatureStore.from_spec(loaded, online_url=url)
    return FeatureStore(
        loaded.feature_views,
        on_demand=loaded.on_demand_features,
        online_url=url,
        base_dir=loaded.base_dir,
    )


@app.command("list")
def list_views(
    ctx: typer.Context,
    spec: SpecArg,
    env: Env = None,
    online_url: OnlineUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """List the spec's feature views with what the online store holds, and on-demand features."""
    from modelfleet.cli.render_features import on_demand_to_json, print_views, status_to_json

    loaded = _load(spec, env)
    with _open(loaded, resolve_online_url(ctx, online_url), []) as store:
        statuses = store.status()
        where = store.online_store().url
    views = {v.name: v for v in loaded.feature_views}
    if as_json:
        print_json_lines(
            [
                *(status_to_json(s, views[s.name]) for s in statuses),
                *(on_demand_to_json(f) for f in loaded.on_demand_features),
            ]
        )
    else:
        print_views(loaded.name, statuses, loaded.on_demand_features, where)


@app.command("show")
def show(
    ctx: typer.Context,
    spec: SpecArg,
    view: Annotated[str, typer.Argument(help="The feature view's name.", show_default=False)],
    env: Env = None,
    online_url: OnlineUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Show one view: entities, timestamp, source, TTL, each feature and its online state."""
    from modelfleet.cli.render_features import print_view, view_to_json

    loaded = _load(spec, env)
    _check_views(loaded, [view], "VIEW")
    with _open(loaded, resolve_online_url(ctx, online_url), []) as store:
        status = next(s for s in store.status() if s.name == view)
        definition = store.view(view)
        where = store.online_store().url
    if as_json:
        print_json_lines([view_to_json(definition, status)])
    else:
        print_view(definition, status, where)


@app.command("materialize")
def materialize(
    ctx: typer.Context,
    spec: SpecArg,
    view: Annotated[
        list[str] | None, typer.Option("--view", help="Only this view (repeatable; default: all).")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Recompute from the whole source, not the watermark.")
    ] = False,
    end: Annotated[
        str | None,
        typer.Option(help="Materialize events up to this ISO timestamp (default: now; UTC)."),
    ] = None,
    env: Env = None,
    online_url: OnlineUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Write each view's latest values per entity to the online store (incremental by default)."""
    from datetime import UTC

    from modelfleet.cli.render_features import (
        materialize_with_progress,
        print_results,
        result_to_json,
    )

    until = parse_time(end, "--end") or datetime.now(UTC)
    loaded = _load(spec, env)
    names = list(dict.fromkeys(view or []))
    _check_views(loaded, names, "--view")
    names = names or [v.name for v in loaded.feature_views]
    url = resolve_online_url(ctx, online_url)
    results, where = materialize_with_progress(
        lambda: _open(loaded, url, names), names, until=until, full=full, show=not as_json
    )
    if as_json:
        print_json_lines(result_to_json(r) for r in results)
    else:
        print_results(results, where)


@app.command("get")
def get(
    ctx: typer.Context,
    spec: SpecArg,
    entity: Annotated[
        list[str] | None,
        typer.Option(
            "--entity", help="An entity key as COLUMN=VALUE, e.g. store=1 (repeat for each key)."
        ),
    ] = None,
    entities_json: Annotated[
        str | None,
        typer.Option(
            "--entities-json", help="Many entities as JSON columns, e.g. '{\"store\": [1, 2]}'."
        ),
    ] = None,
    feature: Annotated[
        list[str] | None,
        typer.Option(
            "--feature",
            help="view:feature, view:* or an on-demand feature (repeatable; default: every "
            "feature of the views keyed by the given columns).",
        ),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(help="Look up as of this ISO timestamp (default: now; TTLs apply to it)."),
    ] = None,
    env: Env = None,
    online_url: OnlineUrl = None,
    as_json: JsonFlag = False,
) -> None:
    """Look up the latest online feature values of one entity (or many with --entities-json)."""
    from modelfleet.cli.render_features import online_rows_to_json, print_online_rows

    columns = parse_entities(entity or [], entities_json)
    at = parse_time(now, "--now")
    loaded = _load(spec, env)
    _check_views(loaded, [], "SPEC")
    hint = "--entities-json" if entities_json is not None else "--entity"
    refs = _feature_refs(loaded, feature, set(columns), hint)
    with _open(loaded, resolve_online_url(ctx, online_url), refs.views) as store:
        table = store.get_online_features(columns, refs.features, now=at)
    rows = table.to_pylist()
    if as_json:
        print_json_lines(online_rows_to_json(rows))
    else:
        print_online_rows(rows, list(columns))


class _Refs(NamedTuple):
    """The features a lookup asks for (None: all) and the views they read."""

    features: list[str] | None
    views: list[str]


def _feature_refs(
    loaded: FleetSpec, features: list[str] | None, given: set[str], hint: str
) -> _Refs:
    """Check ``--feature`` references and that the request has every key they need."""
    from modelfleet.errors import FeatureError
    from modelfleet.features.refs import resolve_refs

    views = {v.name: v for v in loaded.feature_views}
    if not features:
        usable = [v.name for v in loaded.feature_views if set(v.entities) <= given]
        if not usable:
            keys = sorted({", ".join(v.entities) for v in loaded.feature_views})
            raise typer.BadParameter(
                f"no feature view is keyed by {sorted(given)}; the views' keys are: {keys}",
                param_hint=hint,
            )
        if len(usable) == len(views):
            return _Refs(None, usable)  # everything, on-demand features included
        return _Refs([f"{name}:*" for name in usable], usable)
    try:
        resolved = resolve_refs(features, views, loaded.on_demand_features)
    except FeatureError as exc:
        raise typer.BadParameter(exc.message, param_hint="--feature") from None
    for ref in resolved.views:
        missing = [k for k in views[ref.view].entities if k not in given]
        if missing:
            raise typer.BadParameter(
                f"feature view {ref.view!r} is keyed by {list(views[ref.view].entities)}; "
                f"the request lacks {missing}",
                param_hint=hint,
            )
    return _Refs(list(features), [ref.view for ref in resolved.views])
