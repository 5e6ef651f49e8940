"""The pii: block: policies per declared column, refused where they cannot keep their promise."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelfleet.config.spec import load_spec
from modelfleet.errors import ConfigError

Spec = dict[str, Any]
Write = Callable[..., Path]


@pytest.fixture
def personal(minimal_spec: Spec) -> Spec:
    """The minimal spec with two text columns that hold personal data."""
    minimal_spec["schema"]["columns"].update({"email": "str", "phone": "str", "age": "int"})
    return minimal_spec


def _refusal(spec: Spec, write_spec: Write) -> str:
    with pytest.raises(ConfigError) as caught:
        load_spec(write_spec(spec))
    return caught.value.message


def test_a_spec_without_a_pii_block_declares_no_personal_columns(
    minimal_spec: Spec, write_spec: Write
) -> None:
    assert load_spec(write_spec(minimal_spec)).pii.columns == {}


def test_each_declared_column_gets_its_policy(personal: Spec, write_spec: Write) -> None:
    personal["pii"] = {"key_file": "pii.key", "columns": {"email": "hash", "phone": "mask"}}

    spec = load_spec(write_spec(personal))

    assert spec.pii.columns == {"email": "hash", "phone": "mask"}


def test_a_column_not_in_schema_columns_is_refused_by_name(
    personal: Spec, write_spec: Write
) -> None:
    personal["pii"] = {"columns": {"e_mail": "mask"}}

    message = _refusal(personal, write_spec)

    assert "pii.columns.e_mail" in message
    assert "not declared under schema.columns" in message


def test_the_target_cannot_be_personal_data(personal: Spec, write_spec: Write) -> None:
    personal["pii"] = {"columns": {"sales": "drop"}}

    assert "pii.columns.sales" in _refusal(personal, write_spec)


def test_an_unknown_policy_is_refused_naming_the_allowed_ones(
    personal: Spec, write_spec: Write
) -> None:
    personal["pii"] = {"columns": {"email": "encrypt"}}

    message = _refusal(personal, write_spec)

    assert "pii.columns.email" in message
    assert "'drop', 'mask' or 'hash'" in message


def test_a_policy_that_is_not_text_is_refused(personal: Spec, write_spec: Write) -> None:
    personal["pii"] = {"columns": {"email": ["hash"]}}

    assert "pii.columns.email" in _refusal(personal, write_spec)


def test_an_unknown_key_in_the_pii_block_is_refused(personal: Spec, write_spec: Write) -> None:
    personal["pii"] = {"columns": {"email": "mask"}, "salt": "x"}

    assert "pii.salt" in _refusal(personal, write_spec)


def test_a_tenant_key_column_cannot_be_personal_data(personal: Spec, write_spec: Write) -> None:
    personal["schema"]["columns"]["store"] = "str"
    personal["pii"] = {"columns": {"store": "hash"}, "key_file": "pii.key"}

    message = _refusal(personal, write_spec)

    assert "pii.columns.store" in message
    assert "tenant key" in message


def test_hash_without_a_key_file_says_how_to_make_one(personal: Spec, write_spec: Write) -> None:
    personal["pii"] = {"columns": {"email": "hash"}}

    message = _refusal(personal, write_spec)

    assert "pii.key_file" in message
    assert "openssl rand" in message


def test_mask_on_a_number_column_asks_for_str_or_drop(personal: Spec, write_spec: Write) -> None:
    personal["pii"] = {"columns": {"age": "mask"}}

    message = _refusal(personal, write_spec)

    assert "pii.columns.age" in message
    assert "declare it as str, or use drop" in message


def test_drop_on_a_number_column_is_allowed(personal: Spec, write_spec: Write) -> None:
    personal["pii"] = {"columns": {"age": "drop"}}

    assert load_spec(write_spec(personal)).pii.columns == {"age": "drop"}


def test_a_covariate_cannot_be_dropped(personal: Spec, write_spec: Write) -> None:
    personal["schema"]["columns"]["promo"] = "int"
    personal["pii"] = {"columns": {"promo": "drop"}}

    message = _refusal(personal, write_spec)

    assert "pii.columns.promo" in message
    assert "features.covariates" in message


def test_a_join_column_can_be_hashed_but_not_masked(personal: Spec, write_spec: Write) -> None:
    personal["sources"].append(
        {"name": "crm", "kind": "static", "path": "crm.csv", "join_on": ["email"]}
    )
    personal["pii"] = {"columns": {"email": "mask"}}

    message = _refusal(personal, write_spec)

    assert "pii.columns.email" in message
    assert "use hash" in message


def test_the_pii_block_is_part_of_the_training_hash(personal: Spec, write_spec: Write) -> None:
    before = load_spec(write_spec(personal, "a.yaml")).training_hash()
    personal["pii"] = {"columns": {"phone": "mask"}}

    after = load_spec(write_spec(personal, "b.yaml")).training_hash()

    assert before != after


def test_the_pii_block_cannot_vary_by_environment(personal: Spec, write_spec: Write) -> None:
    personal["environments"] = {"prod": {"pii": {"columns": {"email": "mask"}}}}

    assert "environments.prod" in _refusal(personal, write_spec)
