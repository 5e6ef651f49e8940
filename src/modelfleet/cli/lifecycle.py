"""``modelfleet promote|approve|rollback|history|card``: moving models between environments."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelfleet.cli.context import print_json_lines, state
from modelfleet.cli.models import Actor, JsonFlag, Reason

Model = Annotated[str, typer.Argument(help="fleet/tenant.", show_default=False)]


def register(app: typer.Typer) -> None:
    """Add the lifecycle commands to the root app."""
    app.command("promote")(promote)
    app.command("approve")(approve)
    app.command("rollback")(rollback)
    app.command("history")(history)
    app.command("card")(card)


def promote(
    ctx: typer.Context,
    spec: Annotated[
        Path, typer.Argument(help="The fleet's fleet.yaml (its promotion policy applies).")
    ],
    env: Annotated[str, typer.Option("--env", help="Environment to promote into.")],
    tenant: Annotated[
        str | None, typer.Option(help="Only this tenant (default: every tenant of the fleet).")
    ] = None,
    version: Annotated[
        str | None,
        typer.Option(help="With --tenant: this version (default: the one the policy picks)."),
    ] = None,
    actor: Actor = None,
    reason: Reason = "",
    as_json: JsonFlag = False,
) -> None:
    """Promote a fleet's models (or one tenant's) into an environment under its policy.

    Fleet-wide, every tenant whose candidate passes moves; the table says why others did not.
    With --url the server applies the policy of the spec it was started with.
    """
    from modelfleet.cli.render_models import outcome_to_json, print_batch, print_outcome
    from modelfleet.config.spec import load_spec

    if version is not None and tenant is None:
        raise typer.BadParameter("--version needs --tenant", param_hint="--version")
    loaded = load_spec(spec)
    with state(ctx).client(actor=actor) as client:
        if tenant is None:
            batch = client.promote_fleet(loaded.name, env, spec=loaded, reason=reason)
            if as_json:
                print_json_lines(outcome_to_json(o, batch.batch_id) for o in batch.outcomes)
            else:
                print_batch(batch)
            return
        outcome = client.promote(
            f"{loaded.name}/{tenant}", env, spec=loaded, version=version, reason=reason
        )
    if as_json:
        print_json_lines([outcome_to_json(outcome)])
    else:
        print_outcome(outcome)
    if not outcome.moved:
        raise typer.Exit(1)


def approve(
    ctx: typer.Context,
    model: Model,
    version: Annotated[str, typer.Option(help="The version to approve, e.g. 1.1.0.")],
    env: Annotated[str, typer.Option("--env", help="The environment it may enter.")],
    actor: Actor = None,
    reason: Reason = "",
    as_json: JsonFlag = False,
) -> None:
    """Approve a version for an environment whose policy step needs a human's approval."""
    from modelfleet.cli.render_models import event_to_json, print_events

    with state(ctx).client(actor=actor) as client:
        event = client.approve(model, version, env, reason=reason)
    if as_json:
        print_json_lines([event_to_json(event)])
    else:
        print_events([event])
        typer.echo(f"now promote it: modelfleet promote <fleet.yaml> --env {env} --tenant ...")


def rollback(
    ctx: typer.Context,
    model: Annotated[
        str | None, typer.Argument(help="fleet/tenant (or use --batch).", show_default=False)
    ] = None,
    env: Annotated[str | None, typer.Option("--env", help="The environment to roll back.")] = None,
    batch: Annotated[
        str | None, typer.Option(help="Undo every move of this fleet promotion batch instead.")
    ] = None,
    skip_moved: Annotated[
        bool,
        typer.Option(help="With --batch: undo the others when some aliases moved again since."),
    ] = False,
    actor: Actor = None,
    reason: Reason = "",
    as_json: JsonFlag = False,
) -> None:
    """Restore an environment's previous version, or undo a whole fleet promotion batch."""
    from modelfleet.cli.render_models import event_to_json, print_events

    if batch is not None and (model is not None or env is not None):
        raise typer.BadParameter(
            "give MODEL --env ENV, or --batch ID, not both", param_hint="--batch"
        )
    if batch is None and (model is None or env is None):
        raise typer.BadParameter("give MODEL and --env (or --batch ID)", param_hint="MODEL --env")
    with state(ctx).client(actor=actor) as client:
        if batch is not None:
            events = client.rollback_batch(batch, reason=reason, skip_moved=skip_moved)
        else:
            assert model is not None and env is not None
            events = [client.rollback(model, env, reason=reason)]
    if as_json:
        print_json_lines(event_to_json(e) for e in events)
    else:
        print_events(events)


def history(
    ctx: typer.Context,
    model: Model,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the newest N events.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """A model's history: registrations, promotions, approvals, rollbacks, who and why."""
    from modelfleet.cli.render_models import event_to_json, print_history

    with state(ctx).client() as client:
        events = client.history(model, limit)
    if as_json:
        print_json_lines(event_to_json(e) for e in events)
    else:
        print_history(model, events)


def card(
    ctx: typer.Context,
    ref: Annotated[
        str, typer.Argument(help="fleet/tenant@prod, fleet/tenant:1.2.0 or fleet/tenant.")
    ],
    fmt: Annotated[str, typer.Option("--format", help="markdown or html.")] = "markdown",
    out: Annotated[
        Path | None, typer.Option(help="Write the card to this file instead of printing it.")
    ] = None,
    spec: Annotated[
        Path | None,
        typer.Option(help="The fleet's fleet.yaml, to state its purpose (local store only)."),
    ] = None,
) -> None:
    """Render a model card: purpose, data, features, metrics vs baseline, history, lineage."""
    import sys

    if fmt not in ("markdown", "html"):
        raise typer.BadParameter(f"{fmt!r}: use markdown or html", param_hint="--format")
    with state(ctx).client() as client:
        text = client.card(ref, fmt=fmt, spec=spec)
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot write {out}: {exc.strerror}", param_hint="--out"
        ) from None
    typer.echo(f"wrote the model card of {ref} to {out}", err=True)
