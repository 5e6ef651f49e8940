"""The keyring's text forms: entries from the setting or a key file, every bad one named."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from modelfleet.config.settings import Settings
from modelfleet.crypto import (
    KEY_FILE_ENV,
    KEYS_ENV,
    keyring_from_env,
    new_key_line,
    parse_keyring,
    process_keyring,
)
from modelfleet.errors import ConfigError

KEY_A = new_key_line("a")
KEY_B = new_key_line("b")


def _secret(line: str) -> str:
    return line.partition(":")[2]


def test_no_setting_means_encryption_off() -> None:
    assert keyring_from_env({}) is None


def test_the_first_entry_is_the_current_key_and_every_entry_is_held() -> None:
    ring = keyring_from_env({KEYS_ENV: f"{KEY_B}, {KEY_A}"})

    assert ring is not None
    assert ring.current == "b"
    assert ring.key_ids == ("b", "a")


def test_an_entry_without_a_colon_is_named_by_position() -> None:
    with pytest.raises(ConfigError, match=rf"{KEYS_ENV} entry 2 is not id:base64key"):
        parse_keyring([KEY_A, "justtext"], source=KEYS_ENV)


def test_a_key_that_is_not_base64_is_refused_without_quoting_it() -> None:
    secret = "not*base64*" + _secret(KEY_A)[11:]
    with pytest.raises(ConfigError, match=r"key id 'k'.*not valid base64") as caught:
        parse_keyring([f"k:{secret}"], source=KEYS_ENV)

    assert secret not in str(caught.value)


def test_a_key_of_the_wrong_length_says_aes_256_needs_32_bytes() -> None:
    short = base64.b64encode(b"x" * 16).decode()
    with pytest.raises(ConfigError, match="16 bytes, AES-256 needs 32"):
        parse_keyring([f"k:{short}"], source=KEYS_ENV)


def test_a_hostile_key_id_is_refused() -> None:
    with pytest.raises(ConfigError, match="must be 1-32 ASCII letters"):
        parse_keyring([f"../etc:{_secret(KEY_A)}"], source=KEYS_ENV)


def test_a_duplicate_key_id_is_refused() -> None:
    with pytest.raises(ConfigError, match="key id 'a' appears twice"):
        parse_keyring([KEY_A, "a:" + _secret(KEY_B)], source=KEYS_ENV)


def test_an_empty_setting_entry_is_named() -> None:
    with pytest.raises(ConfigError, match="entry 2 is not id:base64key"):
        keyring_from_env({KEYS_ENV: f"{KEY_A},,"})


def test_both_settings_at_once_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"both {KEYS_ENV} and {KEY_FILE_ENV}"):
        keyring_from_env({KEYS_ENV: KEY_A, KEY_FILE_ENV: str(tmp_path / "keys")})


def _key_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "keys"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_a_key_file_skips_blank_lines_and_comments(tmp_path: Path) -> None:
    path = _key_file(tmp_path, f"# rotated 2026-12\n{KEY_B}\n\n{KEY_A}\n")

    ring = keyring_from_env({KEY_FILE_ENV: str(path)})

    assert ring is not None and ring.key_ids == ("b", "a")


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_a_key_file_readable_by_others_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = _key_file(tmp_path, KEY_A, mode=0o644)

    with pytest.raises(ConfigError, match=r"readable by group or others.*chmod 600"):
        keyring_from_env({KEY_FILE_ENV: str(path)})


def test_a_missing_key_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"file .*nope does not exist"):
        keyring_from_env({KEY_FILE_ENV: str(tmp_path / "nope")})


def test_a_key_file_that_is_not_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_bytes(b"\xff\xfe\x00binary")
    path.chmod(0o600)

    with pytest.raises(ConfigError, match="not UTF-8 text"):
        keyring_from_env({KEY_FILE_ENV: str(path)})


def test_an_empty_key_file_holds_no_keys(tmp_path: Path) -> None:
    path = _key_file(tmp_path, "# nothing yet\n")

    with pytest.raises(ConfigError, match="holds no keys"):
        keyring_from_env({KEY_FILE_ENV: str(path)})


def test_the_keyring_repr_shows_ids_never_keys() -> None:
    ring = parse_keyring([KEY_A], source=KEYS_ENV)

    assert _secret(KEY_A) not in repr(ring)
    assert "'a'" in repr(ring)


def test_settings_carry_the_key_ids_only(tmp_path: Path) -> None:
    settings = Settings.from_env({"MODELFLEET_HOME": str(tmp_path), KEYS_ENV: KEY_A})

    assert settings.encryption_key_ids == ("a",)
    assert _secret(KEY_A) not in repr(settings)


def test_settings_fail_at_the_edge_on_a_bad_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=KEYS_ENV):
        Settings.from_env({"MODELFLEET_HOME": str(tmp_path), KEYS_ENV: "a:short"})


def test_new_key_lines_are_distinct_and_parse() -> None:
    first, second = new_key_line("k1"), new_key_line("k2")

    assert _secret(first) != _secret(second)
    assert parse_keyring([first, second], source="test").key_ids == ("k1", "k2")


def test_a_directory_as_key_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a regular file"):
        keyring_from_env({KEY_FILE_ENV: str(tmp_path)})


def test_an_oversized_key_file_is_refused(tmp_path: Path) -> None:
    path = _key_file(tmp_path, "#" * 70_000)

    with pytest.raises(ConfigError, match="a key file is a few lines"):
        keyring_from_env({KEY_FILE_ENV: str(path)})


def test_the_process_keyring_follows_a_rotated_key_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _key_file(tmp_path, KEY_A)
    monkeypatch.delenv(KEYS_ENV, raising=False)
    monkeypatch.setenv(KEY_FILE_ENV, str(path))
    before = process_keyring()
    path.write_text(f"{KEY_B}\n{KEY_A}\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))

    after = process_keyring()

    assert before is not None and before.current == "a"
    assert after is not None and after.key_ids == ("b", "a")


def test_the_process_keyring_is_none_without_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEYS_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)

    assert process_keyring() is None
