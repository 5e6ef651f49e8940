"""Callers: a principal is required and printable; local mode fills it from the OS user."""

from __future__ import annotations

import pytest

from modelfleet.caller import ALLOW_ALL, Caller, local_caller, local_user
from modelfleet.errors import UsageError


def test_a_principal_is_stripped() -> None:
    assert Caller("  alice ").principal == "alice"


@pytest.mark.parametrize("bad", ["", "   ", "bob\n\x1b[31m", "x" * 201])
def test_an_empty_unprintable_or_huge_principal_is_refused(bad: str) -> None:
    with pytest.raises(UsageError, match="principal"):
        Caller(bad)


def test_the_local_caller_is_the_os_user_with_every_role() -> None:
    caller = local_caller()

    assert caller.principal == local_user() and caller.via == "local"
    assert caller.roles == ("admin",) and caller.tenants is None


def test_a_named_local_caller_keeps_its_name() -> None:
    assert local_caller("ci-bot").principal == "ci-bot"


def test_the_policy_before_governance_allows_everything() -> None:
    assert ALLOW_ALL.check(Caller("anyone"), "promote", ["demand/s1"]) is None
