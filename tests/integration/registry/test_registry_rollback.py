"""Rollback of one environment and of a whole fleet promotion batch."""

from __future__ import annotations

import pytest

from modelfleet.errors import ConflictError, NotFoundError
from modelfleet.registry import Registry, SemVer

from .conftest import Add, policy

RULES = policy()


def test_rollback_restores_the_previous_version(registry: Registry, add: Add) -> None:
    for _ in range(2):
        add("s1")
        registry.promote("demand/s1", "dev", policy=RULES, caller="a")

    event = registry.rollback("demand/s1", "dev", caller="oncall", reason="bad forecasts")

    assert (event.kind, event.from_version, event.to_version) == (
        "rolled_back",
        SemVer(1, 1, 0),
        SemVer(1, 0, 0),
    )
    assert (event.actor, event.reason) == ("oncall", "bad forecasts")
    assert registry.resolve("demand/s1@dev").version == SemVer(1, 0, 0)


def test_repeated_rollbacks_walk_back_through_the_history(registry: Registry, add: Add) -> None:
    for _ in range(3):
        add("s1")
        registry.promote("demand/s1", "dev", policy=RULES, caller="a")

    registry.rollback("demand/s1", "dev", caller="a")
    registry.rollback("demand/s1", "dev", caller="a")

    assert registry.resolve("demand/s1@dev").version == SemVer(1, 0, 0)


def test_rolling_back_the_first_promotion_empties_the_environment(
    registry: Registry, add: Add
) -> None:
    add("s1")
    registry.promote("demand/s1", "dev", policy=RULES, caller="a")

    registry.rollback("demand/s1", "dev", caller="a")

    with pytest.raises(NotFoundError):
        registry.resolve("demand/s1@dev")
    assert registry.resolve("demand/s1:1.0.0").status == "candidate"


def test_rollback_with_nothing_to_undo_is_a_conflict(registry: Registry, add: Add) -> None:
    add("s1")

    with pytest.raises(ConflictError, match="demand/s1@prod: nothing to roll back"):
        registry.rollback("demand/s1", "prod", caller="a")


def test_rollback_to_a_deleted_version_is_refused(registry: Registry, add: Add) -> None:
    add("s1")
    add("s1")
    registry.set_alias("demand/s1", "dev", "1.0.0", caller="a", reason="")
    registry.set_alias("demand/s1", "dev", "1.1.0", caller="a", reason="")
    registry.delete_version("demand/s1", "1.0.0", caller="a")

    with pytest.raises(ConflictError, match=r"1\.0\.0, was deleted"):
        registry.rollback("demand/s1", "dev", caller="a")


def _promote_fleet_twice(registry: Registry, add: Add) -> str:
    """s1 and s2 in dev at 1.0.0, then a batch moving both to 1.1.0; returns its id."""
    for tenant in ("s1", "s2"):
        add(tenant)
    registry.promote_fleet("demand", "dev", policy=RULES, caller="ci")
    for tenant in ("s1", "s2"):
        add(tenant)
    return registry.promote_fleet("demand", "dev", policy=RULES, caller="ci").batch_id


def test_a_batch_rollback_undoes_every_move_of_the_batch(registry: Registry, add: Add) -> None:
    batch_id = _promote_fleet_twice(registry, add)

    events = registry.rollback_batch(batch_id, caller="oncall", reason="bad release")

    assert [(e.model, e.to_version) for e in events] == [
        ("demand/s1", SemVer(1, 0, 0)),
        ("demand/s2", SemVer(1, 0, 0)),
    ]
    assert len({e.batch_id for e in events}) == 1 and events[0].batch_id != batch_id
    for tenant in ("s1", "s2"):
        assert registry.resolve(f"demand/{tenant}@dev").version == SemVer(1, 0, 0)


def test_a_batch_rollback_refuses_when_an_alias_moved_since(registry: Registry, add: Add) -> None:
    batch_id = _promote_fleet_twice(registry, add)
    add("s2")
    registry.set_alias("demand/s2", "dev", "1.2.0", caller="a", reason="hotfix")

    with pytest.raises(ConflictError, match=r"demand/s2@dev.*Nothing was rolled back"):
        registry.rollback_batch(batch_id, caller="oncall")
    assert registry.resolve("demand/s1@dev").version == SemVer(1, 1, 0)

    events = registry.rollback_batch(batch_id, caller="oncall", skip_moved=True)
    assert [e.model for e in events] == ["demand/s1"]
    assert registry.resolve("demand/s2@dev").version == SemVer(1, 2, 0)


def test_an_unknown_batch_is_not_found(registry: Registry) -> None:
    with pytest.raises(NotFoundError, match="batch id 'nope'"):
        registry.rollback_batch("nope", caller="a")
