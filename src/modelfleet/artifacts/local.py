"""Artifact store in a local folder: the zero-setup default.

Durability: a blob is on disk before :meth:`LocalArtifactStore.put_bytes` returns, so the
metadata row that references it (committed after) never points at bytes a power loss can take.
The temp file is fsynced before its rename, the folder after it (the rename itself is a folder
entry), and every folder the write creates is fsynced into its parent.
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from pathlib import Path

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

# Out of space and out of quota: both mean "free space", whatever the filesystem calls it.
_DISK_FULL = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


class LocalArtifactStore:
    """Blobs under ``<root>/<sha[:2]>/<sha>``, written atomically with ``os.replace``."""

    def __init__(self, root: Path | str, keyring: Keyring | None = None) -> None:
        self.root = Path(root).expanduser().resolve()
        # With a keyring, blobs are written sealed (see artifacts.sealed); reads open either form.
        self.keyring = keyring

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
        if is_finished_copy(_size_or_none(path), len(data)):
            return ref
        stored = stored_form(self.keyring, digest, data)
        try:
            make_dirs_durably(path.parent)
            _write_atomically(path, stored)
        except OSError as exc:
            if exc.errno in _DISK_FULL:
                # The one fault the user fixes outside modelfleet: say so first, not as errno.
                raise ArtifactError(
                    f"the artifact folder is full ({exc.strerror}): cannot write artifact "
                    f"{digest[:12]} to {self.root}. Free space there (or point "
                    "MODELFLEET_ARTIFACTS_URL elsewhere) and re-run; no partial file was kept."
                ) from exc
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
        data = plain_form(self.keyring, digest, data, str(path))
        actual = digest_of(data)
        if actual != digest:
            raise integrity_error(digest, actual, str(path))
        return data

    def exists(self, digest: str) -> bool:
        """Tell whether a file for ``digest`` is present (without re-hashing it)."""
        return self.path_for(digest).is_file()

    def verify(self, digest: str) -> int:
        """Re-hash the file of ``digest`` in 1 MiB chunks (flat memory); return its plain size."""
        path = self.path_for(digest)
        try:
            with path.open("rb") as handle:
                chunks = iter(lambda: handle.read(CHUNK_BYTES), b"")
                plain = plain_chunks(self.keyring, digest, chunks, str(path))
                actual, size = digest_of_chunks(plain)
        except FileNotFoundError as exc:
            raise NotFoundError(f"artifact {digest} not found in {self.root}") from exc
        except OSError as exc:
            raise ArtifactError(f"cannot read artifact {digest} at {path}: {exc}") from exc
        if actual != digest:
            raise integrity_error(digest, actual, str(path))
        return size

    def entries(self) -> list[StoredEntry]:
        """Every file under the root's shard folders (blobs, temp files, strays), unsorted."""
        found: list[StoredEntry] = []
        try:
            shards = [e for e in os.scandir(self.root) if e.is_dir(follow_symlinks=False)]
        except FileNotFoundError:
            return found  # nothing was ever stored
        except OSError as exc:
            raise ArtifactError(f"cannot list artifact folder {self.root}: {exc}") from exc
        for shard in shards:
            try:
                with os.scandir(shard.path) as listing:
                    for entry in listing:
                        key = f"{shard.name}/{entry.name}"
                        kind, digest = classify(key)
                        info = entry.stat(follow_symlinks=False)
                        found.append(
                            StoredEntry(key, kind, info.st_size, info.st_mtime, digest=digest)
                        )
            except FileNotFoundError:
                continue  # a shard folder removed while we listed it
            except OSError as exc:
                raise ArtifactError(f"cannot list artifact folder {shard.path}: {exc}") from exc
        return found

    def discard(self, entry: StoredEntry) -> None:
        """Delete one listed blob or temp file (the caller decided nothing references it)."""
        if entry.kind == "stray" or classify(entry.key)[0] != entry.kind:
            raise ArtifactError(f"refusing to delete {entry.key!r}: not a blob or temp file")
        path = self.root / entry.key
        try:
            path.unlink(missing_ok=True)
            fsync_directory(path.parent)
        except OSError as exc:
            raise ArtifactError(f"cannot delete {path}: {exc}") from exc


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
    # The rename is an entry of the folder: until the folder is synced a power loss may undo it.
    fsync_directory(path.parent)


def make_dirs_durably(folder: Path) -> None:
    """Create ``folder`` and missing parents, fsyncing each new one into its parent."""
    missing: list[Path] = []
    current = folder
    while not current.is_dir():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for new in reversed(missing):
        with contextlib.suppress(FileExistsError):  # a concurrent writer made it first
            new.mkdir()
        fsync_directory(new.parent)


def fsync_directory(folder: Path) -> None:
    """Flush a folder's entries (creations, renames, deletions) to disk.

    POSIX only: Windows cannot open a folder as a file, and NTFS journals its metadata itself.
    """
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
