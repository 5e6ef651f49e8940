"""Encryption at the storage seam: what a store writes for a blob and how it reads it back.

The content address stays the plaintext's sha256, so dedup, references and verification are
unchanged: writing seals the plaintext (the digest is the associated data, so a blob copied over
another address is refused), reading opens it and the usual sha256 check runs on the result.
Bytes without the sealed header are plaintext from before encryption was on and read as such.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from modelfleet.crypto import Keyring, could_be_sealed_copy, open_blob, open_chunks, seal
from modelfleet.errors import (
    ArtifactError,
    ArtifactIntegrityError,
    CiphertextRefused,
    EncryptionKeyMissing,
)


def stored_form(keyring: Keyring | None, digest: str, data: bytes) -> bytes:
    """The bytes to write for ``data``: sealed with the current key, or as-is when off."""
    return data if keyring is None else seal(keyring, data, digest.encode("ascii"))


def is_finished_copy(stored_size: int | None, plain_size: int) -> bool:
    """Tell whether an existing copy of this size is a finished write of the same blob.

    A plaintext copy and a sealed one (under any key) both count: a writer never rewrites a
    blob another configuration wrote (one with encryption off never replaces a sealed blob with
    plaintext; a rotated keyring never rewrites old blobs), while a truncated copy is rewritten.
    """
    if stored_size is None:
        return False
    return stored_size == plain_size or could_be_sealed_copy(stored_size, plain_size)


def plain_form(keyring: Keyring | None, digest: str, raw: bytes, location: str) -> bytes:
    """The plaintext of the stored ``raw`` bytes of ``digest``; errors name the artifact."""
    try:
        return open_blob(keyring, raw, digest.encode("ascii"))
    except (EncryptionKeyMissing, CiphertextRefused) as exc:
        raise _translated(exc, digest, location) from None


def plain_chunks(
    keyring: Keyring | None, digest: str, chunks: Iterable[bytes], location: str
) -> Iterator[bytes]:
    """Plaintext chunks of a stored blob as it streams (verification's flat-memory path)."""
    try:
        yield from open_chunks(keyring, chunks, digest.encode("ascii"))
    except (EncryptionKeyMissing, CiphertextRefused) as exc:
        raise _translated(exc, digest, location) from None


def _translated(exc: Exception, digest: str, location: str) -> ArtifactError:
    """The artifact store's error for a blob that cannot be opened (nothing was changed)."""
    if isinstance(exc, EncryptionKeyMissing):
        return ArtifactError(f"artifact {digest} at {location} cannot be decrypted: {exc}")
    return ArtifactIntegrityError(
        f"artifact {digest} at {location} is refused: {exc}. Nothing was changed; restore it "
        "from a backup or re-run the step that produced it"
    )
