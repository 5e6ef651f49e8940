"""Which version a rollback restores, from one alias's move history (a pure function)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from modelfleet.errors import ConflictError
from modelfleet.registry.moves import rollback_target
from modelfleet.store import EventRow

_ids = itertools.count(1)


def move(kind: str, from_version: str | None, to_version: str | None) -> EventRow:
    return EventRow(
        next(_ids),
        "demand/s1",
        kind,
        "prod",
        from_version,
        to_version,
        None,
        None,
        "me",
        "",
        datetime(2024, 6, 1, tzinfo=UTC),
        None,
    )


def test_rollback_restores_the_version_before_the_last_move() -> None:
    history = [move("alias_set", None, "1.0.0"), move("alias_set", "1.0.0", "1.1.0")]

    assert rollback_target(history) == "1.0.0"


def test_repeated_rollbacks_walk_further_back_instead_of_toggling() -> None:
    history = [
        move("alias_set", None, "1.0.0"),
        move("alias_set", "1.0.0", "1.1.0"),
        move("alias_set", "1.1.0", "1.2.0"),
        move("rolled_back", "1.2.0", "1.1.0"),
    ]

    assert rollback_target(history) == "1.0.0"


def test_rolling_back_the_first_move_empties_the_environment() -> None:
    assert rollback_target([move("alias_set", None, "1.0.0")]) is None


def test_an_alias_without_moves_left_to_undo_cannot_roll_back() -> None:
    with pytest.raises(ConflictError, match="nothing to roll back"):
        rollback_target([])
    with pytest.raises(ConflictError, match="nothing to roll back"):
        rollback_target([move("alias_set", None, "1.0.0"), move("rolled_back", "1.0.0", None)])


def test_a_removal_is_a_move_a_rollback_undoes() -> None:
    history = [move("alias_set", None, "1.0.0"), move("alias_removed", "1.0.0", None)]

    assert rollback_target(history) == "1.0.0"
