"""Artifact store on any fsspec filesystem (s3://, gcs://, memory://, ...)."""

from __future__ import annotations

import contextlib
import time
import uuid
from datetime import datetime
from typing import Any

from modelfleet.artifacts.base import (
    CHUNK_BYTES,
    TEMP_PREFIX,
    ArtifactRef,
    StoredEntry,
    check_digest,
    classify,
    digest_of,
    digest_of_chunks,
    integrity_error,
    shard_key,
)
from modelfleet.artifacts.sealed import is_finished_copy, plain_chunks, plain_form, stored_form
from modelfleet.crypto import Keyring
from modelfleet.errors import ArtifactError, NotFoundError

# Backends raise their own exception types (botocore, gcsfs, aiohttp, OSError); this boundary
# translates every one of them except "not found", which callers handle separately.
_BACKEND_ERRORS = (Exception,)


class FsspecArtifactStore:
    """Blobs under ``<root>/<sha[:2]>/<sha>`` on an fsspec filesystem.

    ``memory://`` uses fsspec's in-process memory filesystem: it runs the exact code path of the
    object stores (pipe to a temp key, then ``mv``), so it doubles as the fake for users' tests.
    Its contents are shared by every store in the process that uses the same root.
    """

    def __init__(self, fs: Any, root: str, keyring: Keyring | None = None) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        # With a keyring, blobs are written sealed (see artifacts.sealed); reads open either form.
        self.keyring = keyring

    def __repr__(self) -> str:
        return f"FsspecArtifactStore({self.fs.unstrip_protocol(self.root)!r})"

    def key_for(self, digest: str) -> str:
        """Return the filesystem path of ``digest`` (whether or not it exists)."""
        return f"{self.root}/{shard_key(check_digest(digest))}"

    def put_bytes(self, data: bytes) -> ArtifactRef:
        """Store ``data`` under its sha256; an intact existing copy makes this a no-op."""
        digest = digest_of(data)
        key = self.key_for(digest)
        ref = ArtifactRef(digest=digest, size_bytes=len(data), uri=self.fs.unstrip_protocol(key))
        try:
            if is_finished_copy(self._size_or_none(key), len(data)):
                return ref
            self._write_atomically(key, stored_form(self.keyring, digest, data))
        except _BACKEND_ERRORS as exc:
            raise ArtifactError(
                f"cannot write artifact {digest} to {ref.uri}: {exc}. "
                "Check the artifact store URL, credentials and that the bucket exists."
            ) from exc
        return ref

    def get_bytes(self, digest: str) -> bytes:
        """Return the bytes of ``digest``; raise if absent or if they no longer match it."""
        key = self.key_for(digest)
        try:
            data = bytes(self.fs.cat_file(key))
        except FileNotFoundError as exc:
            raise NotFoundError(
                f"artifact {digest} not found in {self.fs.unstrip_protocol(self.root)}"
            ) from exc
        except _BACKEND_ERRORS as exc:
            raise ArtifactError(
                f"cannot read artifact {digest} from {self.fs.unstrip_protocol(key)}: {exc}"
            ) from exc
        data = plain_form(self.keyring, digest, data, self.fs.unstrip_protocol(key))
        actual = digest_of(data)
        if actual != digest:
            raise integrity_error(digest, actual, self.fs.unstrip_protocol(key))
        return data

    def exists(self, digest: str) -> bool:
        """Tell whether an object for ``digest`` is present (without re-hashing it)."""
        key = self.key_for(digest)
        try:
            return bool(self.fs.isfile(key))
        except _BACKEND_ERRORS as exc:
            raise ArtifactError(
                f"cannot check artifact {digest} at {self.fs.unstrip_protocol(key)}: {exc}"
            ) from exc

    def verify(self, digest: str) -> int:
        """Re-hash the object of ``digest`` as it streams in 1 MiB chunks; return its size."""
        key = self.key_for(digest)
        try:
            with self.fs.open(key, "rb") as handle:
                chunks = iter(lambda: handle.read(CHUNK_BYTES), b"")
                location = self.fs.unstrip_protocol(key)
                actual, size = digest_of_chunks(
                    plain_chunks(self.keyring, digest, chunks, location)
                )
        except FileNotFoundError as exc:
            raise NotFoundError(
                f"artifact {digest} not found in {self.fs.unstrip_protocol(self.root)}"
            ) from exc
        except ArtifactError:
            raise  # a blob that cannot be opened, already named (not a backend failure)
        except _BACKEND_ERRORS as exc:
            raise ArtifactError(
                f"cannot read artifact {digest} from {self.fs.unstrip_protocol(key)}: {exc}"
            ) from exc
        if actual != digest:
            raise integrity_error(digest, actual, self.fs.unstrip_protocol(key))
        return size

    def entries(self) -> list[StoredEntry]:
        """Every object under the root (blobs, temp objects, strays), from one listing."""
        try:
            listing = self.fs.find(self.root, detail=True) if self.fs.exists(self.root) else {}
        except _BACKEND_ERRORS as exc:
            raise ArtifactError(
                f"cannot list artifact store {self.fs.unstrip_protocol(self.root)}: {exc}"
            ) from exc
        found = []
        # Backends differ on a leading "/" (memory:// adds one), so compare without it.
        prefix = self.root.strip("/") + "/"
        for path, info in listing.items():
            key = str(path).strip("/").removeprefix(prefix)
            kind, digest = classify(key)
            size = int(info.get("size") or 0)
            found.append(StoredEntry(key, kind, size, _modified_at(info), digest=digest))
        return found

    def discard(self, entry: StoredEntry) -> None:
        """Delete one listed blob or temp object (the caller decided nothing references it)."""
        if entry.kind == "stray" or classify(entry.key)[0] != entry.kind:
            raise ArtifactError(f"refusing to delete {entry.key!r}: not a blob or temp object")
        key = f"{self.root}/{entry.key}"
        try:
            self.fs.rm_file(key)
        except FileNotFoundError:
            return
        except _BACKEND_ERRORS as exc:
            raise ArtifactError(f"cannot delete {self.fs.unstrip_protocol(key)}: {exc}") from exc

    def _size_or_none(self, key: str) -> int | None:
        """Return the stored size of ``key`` or None when it is absent."""
        try:
            info = self.fs.info(key)
        except FileNotFoundError:
            return None
        size = info.get("size")
        return int(size) if size is not None and info.get("type") == "file" else None

    def _write_atomically(self, key: str, data: bytes) -> None:
        """Upload to a unique temp key next to ``key``, then move it into place.

        On object stores the final key appears in one step (a copy of a complete object), so
        readers never see a partial blob; the temp key is removed if the move does not happen.
        """
        parent = key.rsplit("/", 1)[0]
        tmp = f"{parent}/{TEMP_PREFIX}{key.rsplit('/', 1)[1][:16]}-{uuid.uuid4().hex}"
        self.fs.makedirs(parent, exist_ok=True)
        try:
            self.fs.pipe_file(tmp, data)
            self.fs.mv(tmp, key)
        except BaseException:
            with contextlib.suppress(*_BACKEND_ERRORS):
                if self.fs.exists(tmp):
                    self.fs.rm_file(tmp)
            raise


def _modified_at(info: dict[str, Any]) -> float:
    """An object's modification time in epoch seconds, from whichever field its backend fills.

    Unknown means "just now", so garbage collection's grace period protects it.
    """
    for field in ("mtime", "LastModified", "last_modified", "updated", "created"):
        value = info.get(field)
        if isinstance(value, datetime):
            return value.timestamp()
        if isinstance(value, int | float):
            return float(value)
    return time.time()
