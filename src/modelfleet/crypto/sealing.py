"""The sealed format: ``MAGIC | version | key id length | key id | nonce | ciphertext+tag``.

AES-256-GCM (``cryptography``'s AESGCM), a random 96-bit nonce per message. The whole header
is associated data, so an edited key id, version or nonce fails authentication like an edited
ciphertext does; the caller adds a ``context`` (an artifact's digest, a log row's tenant) so a
sealed blob moved to another place is refused too. Bytes without the magic are plaintext, passed
through as they are: turning encryption on needs no migration of what is already stored.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import AEADDecryptionContext, Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from modelfleet.crypto.keyring import KEY_FILE_ENV, KEY_ID_MAX, KEYS_ENV, Keyring
from modelfleet.errors import CiphertextRefused, EncryptionKeyMissing

# A NUL in the magic: no JSON, zip (skops), LightGBM text or Parquet file starts like this.
MAGIC: Final = b"MFENC\x00"
VERSION: Final = 1
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
_FIXED: Final = len(MAGIC) + 2  # magic, version, key id length


def is_sealed(blob: bytes) -> bool:
    """Tell whether ``blob`` starts with the sealed format's magic (else it is plaintext)."""
    return blob[: len(MAGIC)] == MAGIC


def _header(key_id: str, nonce: bytes) -> bytes:
    name = key_id.encode("ascii")
    return MAGIC + bytes((VERSION, len(name))) + name + nonce


def sealed_size(keyring: Keyring, plain_size: int) -> int:
    """The size ``seal`` gives ``plain_size`` bytes under the current key (header + tag)."""
    return _FIXED + len(keyring.current) + NONCE_BYTES + plain_size + TAG_BYTES


def could_be_sealed_copy(stored_size: int, plain_size: int) -> bool:
    """Tell whether ``stored_size`` is what sealing ``plain_size`` bytes under any key id gives."""
    overhead = stored_size - plain_size - _FIXED - NONCE_BYTES - TAG_BYTES
    return 1 <= overhead <= KEY_ID_MAX


def seal(keyring: Keyring, data: bytes, context: bytes) -> bytes:
    """Encrypt ``data`` with the current key, bound to ``context`` (given again to open)."""
    header = _header(keyring.current, os.urandom(NONCE_BYTES))
    return header + _current(keyring).encrypt(header[-NONCE_BYTES:], data, header + context)


def seal_many(keyring: Keyring, items: list[bytes], contexts: list[bytes]) -> list[bytes]:
    """``seal`` of each item: one urandom call and one cipher lookup for the whole batch."""
    cipher = _current(keyring)
    prefix = _header(keyring.current, b"")
    nonces = os.urandom(NONCE_BYTES * len(items))
    sealed = []
    for at, (data, context) in enumerate(zip(items, contexts, strict=True)):
        header = prefix + nonces[at * NONCE_BYTES : (at + 1) * NONCE_BYTES]
        sealed.append(header + cipher.encrypt(header[-NONCE_BYTES:], data, header + context))
    return sealed


def _current(keyring: Keyring) -> AESGCM:
    cipher = keyring.cipher(keyring.current)
    assert cipher is not None  # the current key is always in its own ring
    return cipher


def sealed_key_id(blob: bytes) -> str:
    """The key id a sealed blob's header names; CiphertextRefused when the header is broken."""
    return _parse_header(blob)[0]


def _parse_header(blob: bytes) -> tuple[str, int]:
    """(key id, header length) of a sealed blob, refusing a truncated or unknown header."""
    if len(blob) < _FIXED:
        raise CiphertextRefused("the sealed header is truncated", key_id="")
    if blob[len(MAGIC)] != VERSION:
        raise CiphertextRefused(
            f"the sealed format version {blob[len(MAGIC)]} is unknown (this modelfleet reads "
            f"version {VERSION}): written by a newer modelfleet, or altered",
            key_id="",
        )
    end = _FIXED + blob[_FIXED - 1]
    try:
        key_id = blob[_FIXED:end].decode("ascii")
    except UnicodeDecodeError:
        raise CiphertextRefused("the sealed header's key id is not ASCII", key_id="") from None
    if len(blob) < end + NONCE_BYTES + TAG_BYTES:
        raise CiphertextRefused("the sealed blob is truncated", key_id=key_id)
    return key_id, end + NONCE_BYTES


def _key_for(keyring: Keyring | None, key_id: str) -> bytes:
    """The raw key of ``key_id``; EncryptionKeyMissing saying which setting to fix."""
    key = keyring.key(key_id) if keyring is not None else None
    if key is None:
        where = (
            f"no encryption keys are set ({KEYS_ENV} or {KEY_FILE_ENV})"
            if keyring is None
            else f"the keyring holds {', '.join(keyring.key_ids)}"
        )
        raise EncryptionKeyMissing(
            f"it is encrypted with key {key_id!r} and {where}: add that key to the ring "
            "(keep old keys after the current one when rotating)",
            key_id=key_id,
        )
    return key


def open_blob(keyring: Keyring | None, blob: bytes, context: bytes) -> bytes:
    """The plaintext of ``blob``: decrypted when sealed, as it is otherwise."""
    if not is_sealed(blob):
        return blob
    key_id, header_end = _parse_header(blob)
    cipher = keyring.cipher(key_id) if keyring is not None else None
    if cipher is None:
        _key_for(keyring, key_id)  # raises the missing-key error
    assert cipher is not None
    header = blob[:header_end]
    try:
        return cipher.decrypt(header[-NONCE_BYTES:], blob[header_end:], header + context)
    except InvalidTag:
        raise _refused(key_id) from None


def open_chunks(
    keyring: Keyring | None, chunks: Iterable[bytes], context: bytes
) -> Iterator[bytes]:
    """Plaintext chunks of a blob read in ``chunks``, decrypted as they stream when sealed.

    Memory stays at one chunk: GCM's tag is the blob's last 16 bytes, so they are held back
    until the stream ends and checked by ``finalize``; nothing is trusted before that, so the
    caller must consume the whole iterator (a hash over it) before using any chunk.
    """
    stream = iter(chunks)
    head = b""
    for chunk in stream:
        head += chunk
        if len(head) >= _FIXED + 255 + NONCE_BYTES + TAG_BYTES or not is_sealed(head):
            break
    if not is_sealed(head):
        if head:
            yield head
        yield from stream
        return
    key_id, header_end = _parse_header(head)
    header = head[:header_end]
    decryptor = _decryptor(_key_for(keyring, key_id), header, context)
    tail = head[header_end:]
    for chunk in itertools.chain((b"",), stream):  # the head's own ciphertext first
        tail += chunk
        if len(tail) > TAG_BYTES:
            yield decryptor.update(tail[:-TAG_BYTES])
            tail = tail[-TAG_BYTES:]
    if len(tail) < TAG_BYTES:
        raise CiphertextRefused("the sealed blob is truncated", key_id=key_id)
    try:
        yield decryptor.finalize_with_tag(tail)
    except InvalidTag:
        raise _refused(key_id) from None


def _decryptor(key: bytes, header: bytes, context: bytes) -> AEADDecryptionContext:
    """A streaming AES-GCM decryptor over the same format AESGCM.encrypt writes."""
    decryptor = Cipher(algorithms.AES(key), modes.GCM(header[-NONCE_BYTES:])).decryptor()
    decryptor.authenticate_additional_data(header + context)
    return decryptor


def _refused(key_id: str) -> CiphertextRefused:
    return CiphertextRefused(
        f"it does not authenticate with key {key_id!r}: its bytes or header were altered, or "
        f"key {key_id!r} in the ring is not the key it was sealed with",
        key_id=key_id,
    )
