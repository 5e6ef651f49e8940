"""Content-addressed artifact store: the only place that touches artifact bytes.

Blobs live at ``<root>/<sha[:2]>/<sha>`` on a local folder (default) or any fsspec URL; writes
are atomic and idempotent, reads verify the sha256 before returning.
"""

from __future__ import annotations

from modelfleet.artifacts.base import (
    ArtifactRef,
    ArtifactStore,
    StoredEntry,
    digest_of,
    store_root_of,
)
from modelfleet.artifacts.factory import open_artifact_store
from modelfleet.artifacts.local import LocalArtifactStore
from modelfleet.artifacts.remote import FsspecArtifactStore

__all__ = [
    "ArtifactRef",
    "ArtifactStore",
    "FsspecArtifactStore",
    "LocalArtifactStore",
    "StoredEntry",
    "digest_of",
    "open_artifact_store",
    "store_root_of",
]
