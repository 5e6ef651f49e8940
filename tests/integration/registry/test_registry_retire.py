"""Archiving and deleting versions: refused while an alias uses them; history survives."""

from __future__ import annotations

import pytest

from modelfleet.errors import ConflictError, NotFoundError
from modelfleet.registry import Registry

from .conftest import Add


def test_archiving_marks_the_version_and_records_the_change(registry: Registry, add: Add) -> None:
    add("s1")

    event = registry.archive("demand/s1", "1.0.0", caller="a", reason="superseded")

    assert (event.kind, event.from_status, event.to_status) == (
        "status_changed",
        "candidate",
        "archived",
    )
    assert registry.resolve("demand/s1:1.0.0").status == "archived"


def test_a_version_an_alias_uses_cannot_be_archived_or_deleted(
    registry: Registry, add: Add
) -> None:
    add("s1")
    registry.set_alias("demand/s1", "prod", "1.0.0", caller="a", reason="")

    with pytest.raises(ConflictError, match=r"cannot archive .*prod point at it"):
        registry.archive("demand/s1", "1.0.0", caller="a")
    with pytest.raises(ConflictError, match=r"cannot delete .*prod point at it"):
        registry.delete_version("demand/s1", "1.0.0", caller="a")


def test_no_alias_may_point_at_an_archived_version(registry: Registry, add: Add) -> None:
    add("s1")
    registry.archive("demand/s1", "1.0.0", caller="a")

    with pytest.raises(ConflictError, match="archived"):
        registry.set_alias("demand/s1", "prod", "1.0.0", caller="a", reason="")


def test_archiving_twice_is_a_conflict(registry: Registry, add: Add) -> None:
    add("s1")
    registry.archive("demand/s1", "1.0.0", caller="a")

    with pytest.raises(ConflictError, match="already archived"):
        registry.archive("demand/s1", "1.0.0", caller="a")


def test_deleting_removes_the_version_but_keeps_its_history(registry: Registry, add: Add) -> None:
    add("s1")
    add("s1")

    registry.delete_version("demand/s1", "1.0.0", caller="a", reason="bad data")

    with pytest.raises(NotFoundError, match=r"no version 1\.0\.0"):
        registry.resolve("demand/s1:1.0.0")
    kinds = [(e.kind, str(e.from_version or e.to_version)) for e in registry.history("demand/s1")]
    assert kinds == [("deleted", "1.0.0"), ("registered", "1.1.0"), ("registered", "1.0.0")]
