"""Resolving references and listing versions; misses name what exists instead."""

from __future__ import annotations

import pytest

from modelfleet.errors import NotFoundError, UsageError
from modelfleet.registry import Registry, SemVer

from .conftest import Add


def test_an_alias_resolves_to_the_version_it_points_at(registry: Registry, add: Add) -> None:
    add("s1")
    add("s1")
    registry.set_alias("demand/s1", "prod", "1.0.0", caller="a", reason="first release")

    version = registry.resolve("demand/s1@prod")

    assert version.version == SemVer(1, 0, 0)
    assert version.aliases == ("prod",)
    assert version.status == "active"


def test_a_version_reference_resolves_to_that_version(registry: Registry, add: Add) -> None:
    add("s1")
    add("s1")

    assert registry.resolve("demand/s1:1.0.0").version == SemVer(1, 0, 0)


def test_a_bare_model_resolves_to_its_newest_version_not_archived(
    registry: Registry, add: Add
) -> None:
    add("s1")
    add("s1")
    assert registry.resolve("demand/s1").version == SemVer(1, 1, 0)

    registry.archive("demand/s1", "1.1.0", caller="a")

    assert registry.resolve("demand/s1").version == SemVer(1, 0, 0)


def test_a_missing_alias_names_the_aliases_and_versions_that_exist(
    registry: Registry, add: Add
) -> None:
    add("s1")
    registry.set_alias("demand/s1", "dev", "1.0.0", caller="a", reason="")

    with pytest.raises(NotFoundError, match=r"no alias 'prod'.*versions 1\.0\.0.*@dev -> 1\.0\.0"):
        registry.resolve("demand/s1@prod")


def test_a_missing_version_names_the_versions_that_exist(registry: Registry, add: Add) -> None:
    add("s1")

    with pytest.raises(NotFoundError, match=r"no version 3\.0\.0; it has versions 1\.0\.0"):
        registry.resolve("demand/s1:3.0.0")


def test_a_missing_model_names_models_of_its_fleet(registry: Registry, add: Add) -> None:
    add("s1")

    with pytest.raises(NotFoundError, match=r"no model 'demand/s9'.*has demand/s1"):
        registry.resolve("demand/s9@prod")
    with pytest.raises(NotFoundError, match=r"fleet 'other' has no registered models"):
        registry.resolve("other/s1")


def test_a_malformed_reference_is_a_usage_error(registry: Registry) -> None:
    with pytest.raises(UsageError, match="fleet/tenant"):
        registry.resolve("demand")


def test_versions_lists_newest_first(registry: Registry, add: Add) -> None:
    for _ in range(3):
        add("s1")
    registry.update_metadata("demand/s1:1.0.0", caller="a", description="x")

    listed = [str(v.version) for v in registry.versions("demand/s1")]

    assert listed == ["1.2.0", "1.1.0", "1.0.1", "1.0.0"]


def test_versions_of_an_unknown_model_is_not_found(registry: Registry) -> None:
    with pytest.raises(NotFoundError, match="no model 'demand/s1'"):
        registry.versions("demand/s1")
