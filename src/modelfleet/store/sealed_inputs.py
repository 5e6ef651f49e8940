"""The prediction log's ``inputs`` column sealed at rest: customer records never hit the
database as readable text once a keyring is set.

A sealed value is ``mfenc:`` + base64 of the sealed form (header naming the key, AES-256-GCM
ciphertext), bound to its row's ``fleet`` and ``tenant`` so a value copied into another tenant's
row is refused. JSON text never starts with ``m``, so rows logged before encryption was on (or
with it off) read as they are. Sealing and opening are one C call per row (AES-GCM has no batch
form); the batch shares one random-bytes call for its nonces.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, Final

from modelfleet.crypto import Keyring, open_blob, process_keyring, seal_many
from modelfleet.errors import CiphertextRefused, EncryptionError, EncryptionKeyMissing

SEALED_PREFIX: Final = "mfenc:"


def _context(fleet: str, tenant: str) -> bytes:
    return f"{fleet}\x1f{tenant}".encode()


def seal_rows(
    rows: Sequence[tuple[Any, ...]], *, inputs_at: int, fleet_at: int, tenant_at: int
) -> Sequence[tuple[Any, ...]]:
    """``rows`` with their inputs column sealed under the process keyring (as-is when off)."""
    keyring = process_keyring()
    if keyring is None or not rows:
        return rows
    sealed = seal_many(
        keyring,
        [str(row[inputs_at]).encode() for row in rows],
        [_context(row[fleet_at], row[tenant_at]) for row in rows],
    )
    texts = [SEALED_PREFIX + base64.b64encode(blob).decode("ascii") for blob in sealed]
    return [
        (*row[:inputs_at], text, *row[inputs_at + 1 :])
        for row, text in zip(rows, texts, strict=True)
    ]


def open_values(inputs: list[str], fleet: str | Sequence[str], tenants: Sequence[str]) -> list[str]:
    """The plaintext JSON of logged ``inputs`` (each row's fleet and tenant given alongside)."""
    if not any(value.startswith(SEALED_PREFIX) for value in inputs):
        return inputs  # nothing sealed: no keyring needed, no copy made
    keyring = process_keyring()
    fleets = [fleet] * len(inputs) if isinstance(fleet, str) else list(fleet)
    return [
        _open(keyring, value, f, t) if value.startswith(SEALED_PREFIX) else value
        for value, f, t in zip(inputs, fleets, tenants, strict=True)
    ]


def _open(keyring: Keyring | None, value: str, fleet: str, tenant: str) -> str:
    """One sealed value's JSON text; errors name the fleet and tenant of the row."""
    where = f"a prediction-log row of {fleet}/{tenant}"
    try:
        blob = base64.b64decode(value[len(SEALED_PREFIX) :], validate=True)
        return open_blob(keyring, blob, _context(fleet, tenant)).decode()
    except binascii.Error:
        raise CiphertextRefused(
            f"{where} is refused: its sealed inputs are not valid base64 (altered in the "
            "database); nothing was changed",
            key_id="",
        ) from None
    except UnicodeDecodeError:
        raise EncryptionError(f"{where} decrypts to bytes that are not UTF-8 text") from None
    except EncryptionKeyMissing as exc:
        raise EncryptionKeyMissing(f"{where} cannot be decrypted: {exc}", exc.key_id) from None
    except CiphertextRefused as exc:
        raise CiphertextRefused(f"{where} is refused: {exc}", exc.key_id) from None
