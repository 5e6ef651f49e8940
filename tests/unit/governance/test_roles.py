"""Roles and scopes: what each role may do, which models a scope covers, bad grants named."""

from __future__ import annotations

import pytest

from modelfleet.errors import UsageError
from modelfleet.governance.roles import ROLE_ACTIONS, Grant, allowed, covers, scope_of


@pytest.mark.parametrize(
    ("role", "may", "may_not"),
    [
        ("viewer", {"read", "predict"}, {"promote", "train", "approve", "archive"}),
        ("developer", {"train", "register", "promote"}, {"approve", "rollback", "delete"}),
        ("approver", {"approve", "read"}, {"promote", "train", "set_traffic"}),
        ("operator", {"rollback", "set_traffic", "autopilot"}, {"approve", "train", "delete"}),
        ("admin", {"delete", "archive", "manage_auth", "approve"}, set()),
    ],
)
def test_each_role_may_do_its_actions_and_no_others(
    role: str, may: set[str], may_not: set[str]
) -> None:
    assert may <= ROLE_ACTIONS[role]
    assert not (may_not & ROLE_ACTIONS[role])


@pytest.mark.parametrize(
    ("scope", "model", "inside"),
    [
        ("*", "demand/s1", True),
        ("demand/*", "demand/s1", True),
        ("demand/*", "demand/*", True),
        ("demand/*", "supply/s1", False),
        ("demand/s1", "demand/s1", True),
        ("demand/s1", "demand/s2", False),
        ("demand/s1", "demand/*", False),  # a fleet-wide action needs the whole fleet
        ("demand/s1", "demand/s10", False),
    ],
)
def test_a_scope_covers_exactly_its_models(scope: str, model: str, inside: bool) -> None:
    assert covers(scope, model) is inside


def test_an_action_on_several_models_needs_every_one_covered() -> None:
    grants = [Grant("operator", "demand/s1"), Grant("viewer", "demand/*")]

    assert allowed(grants, "rollback", ["demand/s1"])
    assert not allowed(grants, "rollback", ["demand/s1", "demand/s2"])
    assert allowed(grants, "read", ["demand/s1", "demand/s2"])


def test_no_grant_allows_nothing() -> None:
    assert not allowed([], "read", ["demand/s1"])


@pytest.mark.parametrize(
    "scope", ["", "demand", "demand/", "/s1", "../x", "demand/s1/x", "*/s1", "a b/c", "d/\x00"]
)
def test_a_malformed_scope_is_refused_saying_the_shapes(scope: str) -> None:
    with pytest.raises(UsageError, match="FLEET/TENANT"):
        Grant("viewer", scope)


def test_an_unknown_role_is_refused_listing_the_roles() -> None:
    with pytest.raises(UsageError, match="viewer, developer, approver, operator, admin"):
        Grant("root", "*")


def test_scope_options_make_the_three_shapes() -> None:
    assert (scope_of(None, None), scope_of("demand", None), scope_of("demand", "s1")) == (
        "*",
        "demand/*",
        "demand/s1",
    )
    with pytest.raises(UsageError, match="needs its fleet"):
        scope_of(None, "s1")
