"""History: every registration, move and status change with who, when, why, from and to."""

from __future__ import annotations

import pytest

from modelfleet.errors import NotFoundError
from modelfleet.registry import Registry, SemVer

from .conftest import T0, Add


def test_history_lists_events_newest_first_with_who_why_from_and_to(
    registry: Registry, add: Add
) -> None:
    add("s1")
    add("s1")
    registry.set_alias("demand/s1", "prod", "1.0.0", caller="alice", reason="launch")
    registry.set_alias("demand/s1", "prod", "1.1.0", caller="bob", reason="retrained")

    newest = registry.history("demand/s1")[0]
    move = next(e for e in registry.history("demand/s1") if e.kind == "alias_set")

    assert newest.kind == "status_changed"
    assert (move.alias, move.from_version, move.to_version) == (
        "prod",
        SemVer(1, 0, 0),
        SemVer(1, 1, 0),
    )
    assert (move.actor, move.reason) == ("bob", "retrained")
    assert move.at > T0 and move.at.tzinfo is not None


def test_history_ids_increase_and_limit_keeps_the_newest(registry: Registry, add: Add) -> None:
    for _ in range(3):
        add("s1")

    events = registry.history("demand/s1")
    newest_two = registry.history("demand/s1", limit=2)

    assert [e.id for e in events] == sorted((e.id for e in events), reverse=True)
    assert newest_two == events[:2]


def test_history_of_a_model_never_registered_is_not_found(registry: Registry) -> None:
    with pytest.raises(NotFoundError, match="no model 'demand/s1'"):
        registry.history("demand/s1")
