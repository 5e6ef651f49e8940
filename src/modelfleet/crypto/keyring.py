"""The keyring: named AES-256 keys, the first one current, read from a setting or a key file.

Text form, one entry per comma (``MODELFLEET_ENCRYPTION_KEYS``) or per line
(``MODELFLEET_ENCRYPTION_KEY_FILE``): ``id:base64key``, the key 32 random bytes. The first entry
encrypts; every entry decrypts, which is key rotation: put a new key first and keep the old ones
after it for as long as anything sealed with them is kept.

Keys never appear in messages, reprs or logs: errors name the setting, the entry's position and
its id, never its key text.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from modelfleet.errors import ConfigError

KEYS_ENV: Final = "MODELFLEET_ENCRYPTION_KEYS"
KEY_FILE_ENV: Final = "MODELFLEET_ENCRYPTION_KEY_FILE"
KEY_BYTES: Final = 32  # AES-256
KEY_ID_MAX: Final = 32
KEY_ID_RE: Final = re.compile(rf"[A-Za-z0-9._-]{{1,{KEY_ID_MAX}}}")
# A key file is a secret like an SSH key: one readable by group or others is refused.
_SHARED_MODE_BITS: Final = stat.S_IRWXG | stat.S_IRWXO
_MAX_KEY_FILE_BYTES: Final = 64 * 1024


@dataclass(frozen=True, eq=False)  # no equality: comparing keys is nobody's business
class Keyring:
    """Named AES-256-GCM keys; ``current`` encrypts, any of them decrypts. Repr shows ids only."""

    current: str
    # id -> cipher; the raw key bytes are held only inside the AESGCM objects.
    _ciphers: Mapping[str, AESGCM] = field(repr=False)
    _keys: Mapping[str, bytes] = field(repr=False)

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every key id, the current one first."""
        return tuple(self._ciphers)

    def cipher(self, key_id: str) -> AESGCM | None:
        """The AES-GCM cipher of ``key_id``, or None when the ring does not hold it."""
        return self._ciphers.get(key_id)

    def key(self, key_id: str) -> bytes | None:
        """The raw key of ``key_id`` (for the streaming decryptor), or None when absent."""
        return self._keys.get(key_id)

    def __repr__(self) -> str:
        return f"Keyring(current={self.current!r}, key_ids={self.key_ids!r})"


def parse_keyring(entries: list[str], *, source: str) -> Keyring:
    """Build a keyring from ``id:base64key`` entries; ConfigError names ``source`` and entry."""
    if not entries:
        raise ConfigError(f"{source} holds no keys: give at least one id:base64key entry")
    ciphers: dict[str, AESGCM] = {}
    keys: dict[str, bytes] = {}
    for number, entry in enumerate(entries, start=1):
        where = f"{source} entry {number}"
        key_id, sep, key_text = entry.strip().partition(":")
        if not sep:
            raise ConfigError(
                f"{where} is not id:base64key (no ':' found); make one with `modelfleet keys new`"
            )
        if KEY_ID_RE.fullmatch(key_id) is None:
            raise ConfigError(
                f"{where}: key id {key_id[:40]!r} must be 1-32 ASCII letters, digits, '.', '_' "
                "or '-'"
            )
        if key_id in ciphers:
            raise ConfigError(f"{where}: key id {key_id!r} appears twice; ids must be unique")
        try:
            raw = base64.b64decode(key_text.strip(), validate=True)
        except (binascii.Error, ValueError):
            # The key text itself is never quoted: it may be a real key with one typo.
            raise ConfigError(
                f"{where} (key id {key_id!r}): the key is not valid base64; make one with "
                "`modelfleet keys new`"
            ) from None
        if len(raw) != KEY_BYTES:
            raise ConfigError(
                f"{where} (key id {key_id!r}): the key is {len(raw)} bytes, AES-256 needs "
                f"{KEY_BYTES}; make one with `modelfleet keys new`"
            )
        ciphers[key_id] = AESGCM(raw)
        keys[key_id] = raw
    return Keyring(current=next(iter(ciphers)), _ciphers=ciphers, _keys=keys)


def keyring_from_env(env: Mapping[str, str]) -> Keyring | None:
    """The keyring the environment configures, or None (encryption off) when neither is set."""
    keys_text = env.get(KEYS_ENV, "").strip()
    file_text = env.get(KEY_FILE_ENV, "").strip()
    if keys_text and file_text:
        raise ConfigError(
            f"both {KEYS_ENV} and {KEY_FILE_ENV} are set: set only one, so there is no doubt "
            "which keys are in use"
        )
    if keys_text:
        return parse_keyring(keys_text.split(","), source=KEYS_ENV)
    if file_text:
        return _keyring_from_file(Path(file_text).expanduser())
    return None


def _keyring_from_file(path: Path) -> Keyring:
    """Read a key file: one entry a line, blank lines and ``#`` comments skipped, owner-only."""
    source = f"{KEY_FILE_ENV} file {path}"
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{source} is not a regular file")
        if os.name != "nt" and info.st_mode & _SHARED_MODE_BITS:
            raise ConfigError(
                f"{source} is readable by group or others (mode {stat.S_IMODE(info.st_mode):o}); "
                f"keys must be private to their owner: chmod 600 {path}"
            )
        if info.st_size > _MAX_KEY_FILE_BYTES:
            raise ConfigError(f"{source} is {info.st_size} bytes; a key file is a few lines")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{source} does not exist; create it or unset {KEY_FILE_ENV}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{source} is not UTF-8 text of id:base64key lines") from None
    except OSError as exc:
        raise ConfigError(f"{source} cannot be read: {exc.strerror}") from None
    lines = [line.strip() for line in text.splitlines()]
    return parse_keyring([ln for ln in lines if ln and not ln.startswith("#")], source=source)


# One keyring per distinct setting, built once: the log's write path must not re-read a file.
# A key file's identity includes its mtime and size, so a rotated file is picked up by a
# running server at its next batch (one stat per call) with no restart.
_CACHE: dict[tuple[str, str, int, int], Keyring | None] = {}


def process_keyring() -> Keyring | None:
    """The keyring this process's environment configures (cached per setting value).

    The one deliberate exception to "library code never reads os.environ": keys must reach every
    process that touches artifacts or the prediction log (pool workers, the prediction server,
    a notebook), and the environment is the one thing all of them inherit. Settings parses the
    same variables at the edge, so a bad key fails there first with the setting named.
    """
    keys_text, file_text = os.environ.get(KEYS_ENV, ""), os.environ.get(KEY_FILE_ENV, "")
    mtime = size = 0
    if file_text.strip():
        try:
            info = Path(file_text.strip()).expanduser().stat()
            mtime, size = info.st_mtime_ns, info.st_size
        except OSError:
            pass  # keyring_from_env names the problem
    marker = (keys_text, file_text, mtime, size)
    if marker not in _CACHE:
        _CACHE[marker] = keyring_from_env(os.environ)
    return _CACHE[marker]


def new_key_line(key_id: str) -> str:
    """A fresh ``id:base64key`` entry from the OS's secure random source."""
    if KEY_ID_RE.fullmatch(key_id) is None:
        raise ConfigError(
            f"key id {key_id[:40]!r} must be 1-32 ASCII letters, digits, '.', '_' or '-'"
        )
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"
