"""Artifact store in a local folder: the zero-setup default."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

from modelfleet.artifacts.base import (
    TEMP_PREFIX,
    ArtifactRef,
    check_digest,
    digest_of,
    integrity_error,
    shard_key,
)
from modelfleet.errors import ArtifactError, NotFoundError


class LocalArtifactStore:
    """Blobs under ``<root>/<sha[:2]>/<sha>``, written atomically with ``os.replace``."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser().resolve()

    def __repr__(self) -> str:
        return f"LocalArtifactStore({str(self.root)!r})"

    def path_for(self, digest: str) -> Path:
        """Return the file path of ``digest`` (whether or not it exists)."""
        return self.root / shard_key(check_digest(digest))

    def put_bytes(self, data: bytes) -> ArtifactRef:
        """Store ``data`` under its sha256; an intact existing copy makes this a no-op."""
        digest = digest_of(data)
        path = self.path_for(digest)
        ref = ArtifactRef(digest=digest, size_bytes=len(data), uri=path.as_uri())
        # A size check is a cheap guard: a truncated copy (a crash from before atomic writes, a
        # full disk) is rewritten instead of being trusted forever. Full re-hashing is get's job.
        if _size_or_none(path) == len(data):
            return ref
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, data)
        except OSError as exc:
            raise ArtifactError(
                f"cannot write artifact {digest} to {path}: {exc}. "
                "Check that the artifact folder exists, is writable and has free space."
            ) from exc
        return ref

    def get_bytes(self, digest: str) -> bytes:
        """Return the bytes of ``digest``; raise if absent or if they no longer match it."""
        path = self.path_for(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError(f"artifact {digest} not found in {self.root}") from exc
        except OSError as exc:
            raise ArtifactError(f"cannot read artifact {digest} at {path}: {exc}") from exc
        actual = digest_of(data)
        if actual != digest:
            raise integrity_error(digest, actual, str(path))
        return data

    def exists(self, digest: str) -> bool:
        """Tell whether a file for ``digest`` is present (without re-hashing it)."""
        return self.path_for(digest).is_file()


def _size_or_none(path: Path) -> int | None:
    """Return the size of ``path`` or None when there is no such file."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a unique temp file in the same folder, fsync, then rename over ``path``.

    Same folder means same filesystem, so ``os.replace`` is atomic: readers see no file or the
    whole file. Concurrent writers of one digest each rename identical bytes, so the last one
    wins harmlessly. The temp file is removed if anything fails before the rename.
    """
    # os.open with mode 0o666 lets the umask decide permissions (mkstemp would force 0600);
    # O_EXCL plus a random suffix keeps concurrent writers from sharing a temp file.
    tmp = path.parent / f"{TEMP_PREFIX}{path.name[:16]}-{uuid.uuid4().hex}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)  # os.replace: atomic within one filesystem
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
