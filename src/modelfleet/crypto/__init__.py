"""Encryption at rest: a keyring of AES-256-GCM keys and the sealed format artifacts and the
prediction log use (a small header naming the key, then the authenticated ciphertext)."""

from __future__ import annotations

from modelfleet.crypto.keyring import (
    KEY_FILE_ENV,
    KEYS_ENV,
    Keyring,
    keyring_from_env,
    new_key_line,
    parse_keyring,
    process_keyring,
)
from modelfleet.crypto.sealing import (
    could_be_sealed_copy,
    is_sealed,
    open_blob,
    open_chunks,
    seal,
    seal_many,
    sealed_key_id,
    sealed_size,
)

__all__ = [
    "KEYS_ENV",
    "KEY_FILE_ENV",
    "Keyring",
    "could_be_sealed_copy",
    "is_sealed",
    "keyring_from_env",
    "new_key_line",
    "open_blob",
    "open_chunks",
    "parse_keyring",
    "process_keyring",
    "seal",
    "seal_many",
    "sealed_key_id",
    "sealed_size",
]
