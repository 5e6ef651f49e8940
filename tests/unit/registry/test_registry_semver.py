"""Version numbers: parsing, ordering and the MAJOR/MINOR/PATCH rules."""

from __future__ import annotations

import pytest

from modelfleet.errors import UsageError
from modelfleet.registry.semver import SemVer, next_patch, next_registered


def v(text: str) -> SemVer:
    return SemVer.parse(text)


def test_a_version_round_trips_through_its_text() -> None:
    assert str(v("1.12.3")) == "1.12.3"
    assert v("1.12.3") == SemVer(1, 12, 3)


def test_versions_order_numerically_not_as_text() -> None:
    assert v("1.10.0") > v("1.9.0") > v("1.2.9") > v("1.2.0")


@pytest.mark.parametrize("text", ["1.2", "v1.2.0", "1.02.0", "1.2.0-rc1", "", "a.b.c", "-1.0.0"])
def test_malformed_versions_are_refused_showing_the_form(text: str) -> None:
    with pytest.raises(UsageError, match=r"MAJOR\.MINOR\.PATCH"):
        SemVer.parse(text)


def test_the_first_registered_version_is_1_0_0() -> None:
    assert next_registered([], signature_changed=False) == v("1.0.0")
    assert next_registered([], signature_changed=True) == v("1.0.0")


def test_a_retrain_on_the_same_signature_bumps_minor_past_the_highest() -> None:
    existing = [v("1.0.0"), v("1.1.0"), v("1.1.2")]
    assert next_registered(existing, signature_changed=False) == v("1.2.0")


def test_a_signature_change_bumps_major_and_resets_minor_and_patch() -> None:
    assert next_registered([v("1.0.0"), v("1.3.1")], signature_changed=True) == v("2.0.0")


def test_a_metadata_change_bumps_patch_past_every_patch_of_that_minor() -> None:
    existing = [v("1.0.0"), v("1.0.1"), v("1.0.2"), v("1.1.0")]
    assert next_patch(existing, v("1.0.0")) == v("1.0.3")
    assert next_patch(existing, v("1.1.0")) == v("1.1.1")


def test_numbers_of_deleted_versions_are_not_handed_out_again() -> None:
    # "existing" is every version ever created: deleting 1.1.0 must not make it free again.
    assert next_registered([v("1.0.0"), v("1.1.0")], signature_changed=False) == v("1.2.0")
