"""``modelfleet auth``: tokens and grants for servers with auth on (``MODELFLEET_AUTH=on``).

These commands work on the local store (whoever can open it can manage who may use the
servers): make a token (shown once), list and revoke tokens, grant and revoke roles over
everything, a fleet, or one tenant.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from modelfleet.cli.context import print_json_lines, state

if TYPE_CHECKING:
    from modelfleet.governance.service import Authority, PrincipalKind

app = typer.Typer(help="Tokens and role grants for servers with auth on.", no_args_is_help=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="One JSON object per line, for scripts.")]
Principal = Annotated[str, typer.Argument(help="A user or service account name.")]
Role = Annotated[str, typer.Argument(help="viewer, developer, approver, operator or admin.")]
Fleet = Annotated[str | None, typer.Option(help="Scope: this fleet (default: everything).")]
Tenant = Annotated[str | None, typer.Option(help="Scope: this tenant of --fleet.")]


def register(root: typer.Typer) -> None:
    """Add the auth commands to the root app."""
    root.add_typer(app, name="auth")


@contextmanager
def _authority(ctx: typer.Context) -> Iterator[tuple[Authority, str]]:
    from modelfleet.client.local import LocalPlane
    from modelfleet.governance.service import Authority

    with state(ctx).local_client() as client:
        plane = client.plane
        assert isinstance(plane, LocalPlane)
        yield Authority(plane.metadata_store()), plane.caller.principal


@app.command("token")
def make_token(
    ctx: typer.Context,
    principal: Principal,
    service: Annotated[bool, typer.Option("--service", help="A service account's token.")] = False,
    expires: Annotated[
        str | None, typer.Option(help="Lifetime, e.g. 90d (default: until revoked).")
    ] = "90d",
    note: Annotated[str, typer.Option(help="What it is for, for the listing.")] = "",
    as_json: JsonFlag = False,
) -> None:
    """Make a token for PRINCIPAL; it is printed once and only its hash is kept."""
    from modelfleet.config.feature_blocks import parse_duration
    from modelfleet.governance.tokens import PREFIX

    try:
        lifetime = None if expires in (None, "never") else parse_duration(expires)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--expires") from None
    with _authority(ctx) as (authority, me):
        kind: PrincipalKind = "service" if service else "user"
        issued = authority.create_token(principal, kind=kind, expires_in=lifetime, note=note, by=me)
    record = issued.record
    if as_json:
        print_json_lines(
            [
                {
                    "token": issued.text,
                    "id": record.id,
                    "principal": record.principal,
                    "kind": record.kind,
                    "expires_at": record.expires_at.isoformat() if record.expires_at else None,
                }
            ]
        )
        return
    typer.echo(issued.text)
    until = record.expires_at.isoformat(timespec="minutes") if record.expires_at else "revoked"
    typer.echo(
        f"token {record.id} for {record.principal} ({record.kind}), valid until {until}; it is "
        f"shown only now: keep it secret (send it as 'Authorization: Bearer {PREFIX}...')",
        err=True,
    )


@app.command("tokens")
def list_tokens(
    ctx: typer.Context,
    principal: Annotated[str | None, typer.Option(help="Only this principal's.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Tokens, newest first: id, principal, kind, created, expires, revoked (never secrets)."""
    from modelfleet.cli.render_auth import print_tokens, token_json

    with _authority(ctx) as (authority, _):
        found = authority.store.tokens(principal)
    if as_json:
        print_json_lines(token_json(t) for t in found)
    else:
        print_tokens(found)


@app.command("revoke-token")
def revoke_token(ctx: typer.Context, token_id: Annotated[str, typer.Argument()]) -> None:
    """Revoke a token at once (its holder gets 401 from then on)."""
    with _authority(ctx) as (authority, _):
        authority.revoke_token(token_id)
    typer.echo(f"token {token_id} revoked")


@app.command("grant")
def grant(
    ctx: typer.Context, principal: Principal, role: Role, fleet: Fleet = None, tenant: Tenant = None
) -> None:
    """Give PRINCIPAL a role over everything, --fleet F, or --fleet F --tenant T."""
    from modelfleet.governance.roles import scope_of

    scope = scope_of(fleet, tenant)
    with _authority(ctx) as (authority, me):
        added = authority.grant(principal, role, scope, by=me)
    typer.echo(f"{principal} {'is now' if added else 'already is'} {role} on {scope}")


@app.command("revoke")
def revoke(
    ctx: typer.Context, principal: Principal, role: Role, fleet: Fleet = None, tenant: Tenant = None
) -> None:
    """Take a role over a scope back from PRINCIPAL."""
    from modelfleet.governance.roles import scope_of

    scope = scope_of(fleet, tenant)
    with _authority(ctx) as (authority, _):
        authority.revoke(principal, role, scope)
    typer.echo(f"{principal} is no longer {role} on {scope}")


@app.command("grants")
def list_grants(
    ctx: typer.Context,
    principal: Annotated[str | None, typer.Option(help="Only this principal's.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every grant: principal, role, scope, who granted it and when."""
    from modelfleet.cli.render_auth import grant_json, print_grants

    with _authority(ctx) as (authority, _):
        found = authority.store.grants([principal] if principal else None)
    if as_json:
        print_json_lines(grant_json(g) for g in found)
    else:
        print_grants(found)
