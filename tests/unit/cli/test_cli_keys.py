"""``modelfleet keys``: new keys parse as keyring entries, listings show ids and never keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from modelfleet.crypto import KEYS_ENV, parse_keyring


def test_keys_new_prints_one_entry_the_keyring_accepts(cli: Callable[..., Any]) -> None:
    result = cli("keys", "new", "k7")

    assert result.exit_code == 0
    assert parse_keyring([result.stdout.strip()], source="stdout").key_ids == ("k7",)


def test_keys_new_refuses_a_hostile_id(cli: Callable[..., Any]) -> None:
    result = cli("keys", "new", "../k")

    assert result.exit_code == 2
    assert "must be 1-32 ASCII letters" in result.stderr


def test_keys_list_json_names_the_current_key_without_the_keys(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    new, old = cli("keys", "new", "new").stdout.strip(), cli("keys", "new", "old").stdout.strip()
    monkeypatch.setenv(KEYS_ENV, f"{new},{old}")

    result = cli("keys", "list", "--json")

    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["key_id"], r["current"]) for r in rows] == [("new", True), ("old", False)]
    assert new.partition(":")[2] not in result.stdout


def test_keys_list_table_shows_which_key_encrypts(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEYS_ENV, cli("keys", "new", "k1").stdout.strip())

    result = cli("keys", "list")

    assert "k1" in result.stdout and "encrypts and decrypts" in result.stdout


def test_keys_list_says_when_encryption_is_off(cli: Callable[..., Any]) -> None:
    result = cli("keys", "list")

    assert result.exit_code == 0
    assert "encryption is off" in result.stdout


def test_keys_list_names_a_bad_entry_and_never_quotes_it(
    cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEYS_ENV, "k1:c2VjcmV0LXRleHQ=")

    result = cli("keys", "list")

    assert result.exit_code == 2
    assert f"{KEYS_ENV} entry 1 (key id 'k1')" in result.stderr
    assert "c2VjcmV0LXRleHQ" not in result.output
