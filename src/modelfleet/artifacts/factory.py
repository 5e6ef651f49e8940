"""Open an artifact store from a URL: a local path by default, any fsspec URL to scale out."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from modelfleet.artifacts.base import ArtifactStore
from modelfleet.artifacts.local import LocalArtifactStore
from modelfleet.artifacts.remote import FsspecArtifactStore
from modelfleet.crypto import Keyring, process_keyring
from modelfleet.errors import ArtifactError


def open_artifact_store(url: str, keyring: Keyring | None = None) -> ArtifactStore:
    """Return the store for ``url``: a path or ``file://`` URL, or ``s3://``, ``memory://``, ...

    The backend is chosen by URL scheme only, so moving artifacts to an object store is a
    settings change, never a code change. fsspec (and its s3fs/gcsfs plugins) is imported here,
    at the edge, so the local default needs nothing else. ``keyring`` (default: the one the
    process environment sets, see :func:`modelfleet.crypto.process_keyring`) seals new blobs.
    """
    keyring = keyring if keyring is not None else process_keyring()
    if not url or not url.strip():
        raise ArtifactError("empty artifact store URL: give a folder path or an fsspec URL")
    # No "://" means a plain path, which also keeps Windows drive letters ("C:\\x") local.
    if "://" not in url:
        return LocalArtifactStore(Path(url), keyring)
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ArtifactError(
                f"artifact store URL {url!r} names host {parts.netloc!r}; file:// URLs must be "
                "local (file:///absolute/path)"
            )
        return LocalArtifactStore(Path(unquote(parts.path)), keyring)
    return _open_fsspec(url, parts.scheme, keyring)


def _open_fsspec(url: str, scheme: str, keyring: Keyring | None) -> FsspecArtifactStore:
    """Build an fsspec-backed store, turning unknown schemes and missing plugins into errors."""
    import fsspec
    from fsspec.core import url_to_fs

    try:
        fsspec.get_filesystem_class(scheme)
    except ImportError as exc:
        raise ArtifactError(
            f"artifact store URL {url!r} needs an fsspec plugin that is not installed: {exc}"
        ) from exc
    except ValueError as exc:
        raise ArtifactError(
            f"unknown artifact store scheme {scheme!r} in {url!r}: use a folder path, file://, "
            "memory://, or an fsspec URL such as s3://bucket/prefix or gcs://bucket/prefix"
        ) from exc
    try:
        fs, root = url_to_fs(url)
    except Exception as exc:  # plugins fail in their own ways (credentials, bad bucket names)
        raise ArtifactError(f"cannot open artifact store {url!r}: {exc}") from exc
    return FsspecArtifactStore(fs, root, keyring)
