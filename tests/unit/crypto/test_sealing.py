"""The sealed format: round trips, rotation, and refusal of every altered or unkeyed blob."""

from __future__ import annotations

import pytest

from modelfleet.crypto import (
    is_sealed,
    new_key_line,
    open_blob,
    open_chunks,
    parse_keyring,
    seal,
    seal_many,
    sealed_key_id,
    sealed_size,
)
from modelfleet.errors import CiphertextRefused, EncryptionKeyMissing

OLD = new_key_line("old")
NEW = new_key_line("new")
RING = parse_keyring([OLD], source="test")
ROTATED = parse_keyring([NEW, OLD], source="test")
CONTEXT = b"a" * 64
DATA = b'{"model": "lightgbm", "secret_marker": 42}' * 50


def _chunked(blob: bytes, size: int) -> list[bytes]:
    return [blob[at : at + size] for at in range(0, len(blob), size)]


def test_a_sealed_blob_opens_to_the_original_bytes() -> None:
    assert open_blob(RING, seal(RING, DATA, CONTEXT), CONTEXT) == DATA


def test_a_sealed_blob_does_not_contain_the_plaintext() -> None:
    assert b"secret_marker" not in seal(RING, DATA, CONTEXT)


def test_sealing_twice_gives_different_bytes() -> None:
    assert seal(RING, DATA, CONTEXT) != seal(RING, DATA, CONTEXT)


def test_sealed_size_is_the_size_seal_writes() -> None:
    assert len(seal(RING, DATA, CONTEXT)) == sealed_size(RING, len(DATA))


def test_plaintext_passes_through_unchanged() -> None:
    assert open_blob(RING, DATA, CONTEXT) == DATA


def test_plaintext_passes_through_with_encryption_off() -> None:
    assert open_blob(None, DATA, CONTEXT) == DATA


def test_after_rotation_new_blobs_name_the_new_key() -> None:
    assert sealed_key_id(seal(ROTATED, DATA, CONTEXT)) == "new"


def test_after_rotation_old_blobs_still_open() -> None:
    assert open_blob(ROTATED, seal(RING, DATA, CONTEXT), CONTEXT) == DATA


def test_a_blob_whose_key_left_the_ring_names_the_key_it_needs() -> None:
    only_new = parse_keyring([NEW], source="test")
    with pytest.raises(EncryptionKeyMissing, match="key 'old' and the keyring holds new"):
        open_blob(only_new, seal(RING, DATA, CONTEXT), CONTEXT)


def test_a_sealed_blob_with_encryption_off_says_no_keys_are_set() -> None:
    with pytest.raises(EncryptionKeyMissing, match="no encryption keys are set"):
        open_blob(None, seal(RING, DATA, CONTEXT), CONTEXT)


def test_a_wrong_key_under_the_right_id_is_refused() -> None:
    impostor = parse_keyring([new_key_line("old")], source="test")
    with pytest.raises(CiphertextRefused, match="key 'old'"):
        open_blob(impostor, seal(RING, DATA, CONTEXT), CONTEXT)


def test_one_flipped_ciphertext_byte_is_refused() -> None:
    blob = bytearray(seal(RING, DATA, CONTEXT))
    blob[len(blob) // 2] ^= 0x01
    with pytest.raises(CiphertextRefused, match="altered"):
        open_blob(RING, bytes(blob), CONTEXT)


def test_a_flipped_nonce_byte_in_the_header_is_refused() -> None:
    blob = bytearray(seal(RING, DATA, CONTEXT))
    blob[len(b"MFENC\x00") + 2 + len("old")] ^= 0x01  # the nonce's first byte
    with pytest.raises(CiphertextRefused):
        open_blob(RING, bytes(blob), CONTEXT)


def test_an_unknown_format_version_is_refused() -> None:
    blob = bytearray(seal(RING, DATA, CONTEXT))
    blob[len(b"MFENC\x00")] = 9
    with pytest.raises(CiphertextRefused, match="version 9 is unknown"):
        open_blob(RING, bytes(blob), CONTEXT)


def test_a_truncated_blob_is_refused() -> None:
    blob = seal(RING, DATA, CONTEXT)
    with pytest.raises(CiphertextRefused):
        open_blob(RING, blob[:-1], CONTEXT)


def test_a_blob_cut_inside_its_header_is_refused() -> None:
    with pytest.raises(CiphertextRefused, match="truncated"):
        open_blob(RING, seal(RING, DATA, CONTEXT)[:10], CONTEXT)


def test_a_blob_opened_under_another_context_is_refused() -> None:
    with pytest.raises(CiphertextRefused):
        open_blob(RING, seal(RING, DATA, CONTEXT), b"b" * 64)


def test_streamed_opening_gives_the_plaintext_in_small_chunks() -> None:
    blob = seal(RING, DATA, CONTEXT)

    assert b"".join(open_chunks(RING, _chunked(blob, 7), CONTEXT)) == DATA


def test_streamed_opening_refuses_a_flipped_byte() -> None:
    blob = bytearray(seal(RING, DATA, CONTEXT))
    blob[-20] ^= 0x01
    with pytest.raises(CiphertextRefused):
        b"".join(open_chunks(RING, _chunked(bytes(blob), 100), CONTEXT))


def test_streamed_opening_refuses_a_truncated_blob() -> None:
    blob = seal(RING, DATA, CONTEXT)
    with pytest.raises(CiphertextRefused):
        b"".join(open_chunks(RING, _chunked(blob[:-3], 100), CONTEXT))


def test_streamed_opening_passes_plaintext_through() -> None:
    assert b"".join(open_chunks(RING, _chunked(DATA, 100), CONTEXT)) == DATA


def test_a_batch_seals_each_item_under_its_own_context() -> None:
    sealed = seal_many(RING, [b"one", b"two"], [b"t1", b"t2"])

    assert [open_blob(RING, s, c) for s, c in zip(sealed, [b"t1", b"t2"], strict=True)] == [
        b"one",
        b"two",
    ]
    assert all(is_sealed(s) for s in sealed)


def test_a_header_renamed_to_another_key_in_the_ring_is_refused() -> None:
    other = parse_keyring([new_key_line("abc"), new_key_line("xyz")], source="test")
    blob = seal(other, DATA, CONTEXT)  # sealed under "abc"
    renamed = blob.replace(b"abc", b"xyz", 1)

    assert sealed_key_id(renamed) == "xyz"
    with pytest.raises(CiphertextRefused, match="key 'xyz'"):
        open_blob(other, renamed, CONTEXT)
