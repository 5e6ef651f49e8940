"""The artifact store contract: content addresses, references and the store protocol."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from modelfleet.errors import ArtifactError, ArtifactIntegrityError

_DIGEST_RE = re.compile(r"[0-9a-f]{64}")

# Temp names start with a dot so a listing of a shard folder can tell them from finished objects.
TEMP_PREFIX = ".tmp-"


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
