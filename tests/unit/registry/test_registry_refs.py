"""Model references: the three forms, and refusals that show the forms."""

from __future__ import annotations

import pytest

from modelfleet.errors import UsageError
from modelfleet.registry.refs import check_alias, model_name, parse_ref, split_model
from modelfleet.registry.semver import SemVer


def test_an_alias_reference_names_model_and_alias() -> None:
    ref = parse_ref("demand/store-1@prod")

    assert (ref.fleet, ref.tenant, ref.alias, ref.version) == ("demand", "store-1", "prod", None)
    assert ref.model == "demand/store-1"
    assert str(ref) == "demand/store-1@prod"


def test_a_version_reference_names_model_and_version() -> None:
    ref = parse_ref("demand/store.1:1.2.0")

    assert (ref.model, ref.version, ref.alias) == ("demand/store.1", SemVer(1, 2, 0), None)


def test_a_bare_model_reference_has_neither_alias_nor_version() -> None:
    ref = parse_ref(" demand/s1 ")

    assert (ref.model, ref.alias, ref.version) == ("demand/s1", None, None)


@pytest.mark.parametrize(
    "text",
    [
        "demand",
        "demand/",
        "/s1",
        "demand/s1@",
        "demand/s1:",
        "demand/s1:1.2",
        "de mand/s1",
        "demand/s/1",
        "demand/s1@-prod",
        "",
    ],
)
def test_malformed_references_are_refused_showing_the_forms(text: str) -> None:
    with pytest.raises(UsageError, match=r"fleet/tenant|alias|version|MAJOR"):
        parse_ref(text)


def test_model_names_join_and_split_fleet_and_tenant() -> None:
    assert model_name("demand", "s1") == "demand/s1"
    assert split_model("demand/s1") == ("demand", "s1")


def test_alias_names_follow_the_rule_for_environment_names() -> None:
    assert check_alias("champion") == "champion"
    assert check_alias("2024q1") == "2024q1"
    for bad in ("", "-prod", "pr,od", "pr od", "pr@od", "pr:od", "pr/od", "1.2.0", "v2"):
        with pytest.raises(UsageError, match=r"not a valid alias|looks like a version"):
            check_alias(bad)


@pytest.mark.parametrize("tenant", ["..", ".", "caf\u00e9", "x" * 201])
def test_a_reference_to_a_tenant_id_the_rule_refuses_is_refused_with_the_rule(
    tenant: str,
) -> None:
    with pytest.raises(UsageError, match="a tenant id is ASCII letters"):
        parse_ref(f"demand/{tenant}@prod")
