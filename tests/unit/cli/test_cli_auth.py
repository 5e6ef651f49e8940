"""``modelfleet auth``: a token is printed once and never listed, grants are added and taken
back, bad roles, scopes, principals and durations are refused naming what to give; servers
with auth off refuse a non-loopback address without --insecure."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

CliRunner = Callable[..., Any]


def test_a_token_is_printed_once_and_its_listing_holds_no_secret(cli: CliRunner) -> None:
    made = cli("auth", "token", "alice", "--expires", "30d", "--note", "laptop")
    token = made.stdout.strip()

    listed = cli("auth", "tokens", "--json")

    assert made.exit_code == 0 and token.startswith("mf_") and "shown only now" in made.stderr
    record = json.loads(listed.stdout.splitlines()[0])
    assert (record["principal"], record["kind"], record["note"]) == ("alice", "user", "laptop")
    assert "secret_hash" not in record and token.split("_")[-1] not in listed.stdout


def test_a_revoked_token_is_listed_revoked(cli: CliRunner) -> None:
    made = json.loads(cli("auth", "token", "svc", "--service", "--json").stdout)

    assert cli("auth", "revoke-token", made["id"]).exit_code == 0

    listed = json.loads(cli("auth", "tokens", "--json").stdout.splitlines()[0])
    assert listed["revoked_at"] is not None and listed["kind"] == "service"


def test_grants_are_added_once_listed_and_taken_back(cli: CliRunner) -> None:
    first = cli("auth", "grant", "alice", "operator", "--fleet", "demand")
    again = cli("auth", "grant", "alice", "operator", "--fleet", "demand")
    listed = [json.loads(line) for line in cli("auth", "grants", "--json").stdout.splitlines()]
    taken = cli("auth", "revoke", "alice", "operator", "--fleet", "demand")

    assert "is now operator on demand/*" in first.stdout
    assert "already is operator" in again.stdout
    assert [(g["principal"], g["role"], g["scope"]) for g in listed] == [
        ("alice", "operator", "demand/*")
    ]
    assert taken.exit_code == 0 and cli("auth", "grants", "--json").stdout == ""


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("auth", "grant", "alice", "root"), "viewer, developer, approver, operator, admin"),
        (("auth", "grant", "alice", "viewer", "--tenant", "s1"), "needs its fleet"),
        (("auth", "grant", "alice", "viewer", "--fleet", "../x"), "FLEET/TENANT"),
        (("auth", "grant", "../etc", "viewer"), "principal"),
        (("auth", "token", "alice", "--expires", "soon"), "not a duration"),
        (("auth", "token", "a b"), "principal"),
        (("auth", "revoke-token", "nope"), "no live token"),
        (("auth", "revoke", "alice", "admin"), "holds no 'admin' grant"),
    ],
)
def test_bad_auth_arguments_are_refused_naming_what_to_give(
    cli: CliRunner, args: tuple[str, ...], says: str
) -> None:
    result = cli(*args)

    assert result.exit_code != 0 and says in " ".join(result.output.split())
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["server", "serve"])
def test_a_server_with_auth_off_refuses_a_network_address_without_insecure(
    cli: CliRunner, command: str
) -> None:
    result = cli(command, "--host", "0.0.0.0")

    assert result.exit_code != 0
    assert "without authentication" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("127.5.5.5", True),
        ("0.0.0.0", False),
        ("10.0.0.4", False),
        ("example.org", False),
        ("[::]", False),
    ],
)
def test_only_this_machines_addresses_count_as_loopback(host: str, loopback: bool) -> None:
    from modelfleet.cli.exposure import is_loopback

    assert is_loopback(host) is loopback
