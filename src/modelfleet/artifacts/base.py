"""The artifact store contract: content addresses, references and the store protocol."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal, Protocol, runtime_checkable

from modelfleet.errors import ArtifactError, ArtifactIntegrityError

_DIGEST_RE = re.compile(r"[0-9a-f]{64}")

# Temp names start with a dot so a listing of a shard folder can tell them from finished objects.
TEMP_PREFIX = ".tmp-"
# Verification streams blobs in chunks this big: memory stays flat however large a model is.
CHUNK_BYTES: Final = 1 << 20

EntryKind = Literal["blob", "temp", "stray"]


@dataclass(frozen=True)
class ArtifactRef:
    """Where a stored blob lives: its sha256 content address, size and full URI."""

    digest: str
    size_bytes: int
    uri: str


@runtime_checkable
class ArtifactStore(Protocol):
    """Content-addressed bytes: the same bytes always land at the same address."""

    def put_bytes(self, data: bytes) -> ArtifactRef:
        """Store ``data`` under its sha256 (a no-op if already present) and return its reference."""
        ...

    def get_bytes(self, digest: str) -> bytes:
        """Return the bytes stored under ``digest``, verified against it."""
        ...

    def exists(self, digest: str) -> bool:
        """Tell whether bytes with this ``digest`` are stored."""
        ...

    def verify(self, digest: str) -> int:
        """Re-hash the stored bytes of ``digest`` in chunks and return their size.

        NotFoundError when absent, ArtifactIntegrityError when they no longer match.
        """
        ...

    def entries(self) -> list[StoredEntry]:
        """Every object in the store's folders: blobs, writers' temp files and strays."""
        ...

    def discard(self, entry: StoredEntry) -> None:
        """Delete one blob or temp file found by :meth:`entries` (strays are never deleted)."""
        ...


@dataclass(frozen=True)
class StoredEntry:
    """One object found in a store's folders: a blob, a writer's temp file, or something else.

    ``key`` is relative to the store root (``ab/ab12...``); ``digest`` is set for blobs only;
    ``modified_at`` is seconds since the epoch (the grace period of garbage collection).
    """

    key: str
    kind: EntryKind
    size_bytes: int
    modified_at: float
    digest: str | None = None


def classify(key: str) -> tuple[EntryKind, str | None]:
    """What an object at ``key`` (relative to the root) is: a blob, a temp file or a stray."""
    shard, _, name = key.rpartition("/")
    if "/" in shard:
        return "stray", None
    if name.startswith(TEMP_PREFIX):
        return "temp", None
    if _DIGEST_RE.fullmatch(name) is not None and shard == name[:2]:
        return "blob", name
    return "stray", None


def digest_of_chunks(chunks: Iterable[bytes]) -> tuple[str, int]:
    """The sha256 hex digest and total size of a stream of chunks, hashed as they come."""
    hasher = hashlib.sha256()
    size = 0
    for chunk in chunks:
        hasher.update(chunk)
        size += len(chunk)
    return hasher.hexdigest(), size


def digest_of(data: bytes) -> str:
    """Return the sha256 hex digest that addresses ``data``."""
    return hashlib.sha256(data).hexdigest()


def check_digest(digest: str) -> str:
    """Reject anything but 64 lowercase hex chars, so a digest can never escape the store root."""
    if not isinstance(digest, str) or _DIGEST_RE.fullmatch(digest) is None:
        raise ArtifactError(
            f"invalid artifact digest {digest!r}: expected 64 lowercase hex characters "
            "(a sha256 as returned in ArtifactRef.digest)"
        )
    return digest


def shard_key(digest: str) -> str:
    """Return the object's key relative to the store root: ``<sha[:2]>/<sha>``."""
    return f"{digest[:2]}/{digest}"


def store_root_of(uri: str) -> str:
    """The URL of the store holding the blob at ``uri`` (an ``ArtifactRef.uri``).

    Blobs live at ``<root>/<sha[:2]>/<sha>``, so the root is the URI without its last two
    segments; :func:`~modelfleet.artifacts.open_artifact_store` opens it. ArtifactError if
    ``uri`` does not end in that layout.
    """
    root, _, rest = uri.rstrip("/").rpartition("/")
    root, _, shard = root.rpartition("/")
    if not root or _DIGEST_RE.fullmatch(rest) is None or shard != rest[:2]:
        raise ArtifactError(
            f"artifact URI {uri!r} is not <store root>/<sha[:2]>/<sha>: it was not written by "
            "a modelfleet artifact store"
        )
    return root


def integrity_error(digest: str, actual: str, location: str) -> ArtifactIntegrityError:
    """Build the error raised when stored bytes no longer hash to their address."""
    return ArtifactIntegrityError(
        f"artifact {digest} at {location} is damaged: its bytes hash to {actual}. "
        "Delete the file and store the artifact again (re-run the step that produced it), "
        "or restore it from a backup."
    )
