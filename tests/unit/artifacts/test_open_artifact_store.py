"""Choosing a backend from a URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelfleet.artifacts import FsspecArtifactStore, LocalArtifactStore, open_artifact_store
from modelfleet.errors import ArtifactError


def test_plain_path_opens_a_local_store(tmp_path: Path) -> None:
    store = open_artifact_store(str(tmp_path / "a"))
    assert isinstance(store, LocalArtifactStore)
    assert store.root == tmp_path / "a"


def test_file_url_opens_a_local_store_at_that_path(tmp_path: Path) -> None:
    store = open_artifact_store((tmp_path / "b").as_uri())
    assert isinstance(store, LocalArtifactStore)
    assert store.root == tmp_path / "b"


def test_local_ref_uri_is_a_file_url_of_the_stored_file(tmp_path: Path) -> None:
    ref = open_artifact_store(str(tmp_path)).put_bytes(b"abc")
    assert ref.uri == (tmp_path / ref.digest[:2] / ref.digest).as_uri()


def test_memory_url_opens_an_fsspec_store() -> None:
    assert isinstance(open_artifact_store("memory://modelfleet-factory"), FsspecArtifactStore)


def test_file_url_with_remote_host_is_rejected() -> None:
    with pytest.raises(ArtifactError, match="must be local"):
        open_artifact_store("file://otherhost/data")


def test_unknown_scheme_lists_the_supported_ones() -> None:
    with pytest.raises(ArtifactError, match=r"unknown artifact store scheme 'nope'.*s3://"):
        open_artifact_store("nope://bucket")


def test_empty_url_is_rejected() -> None:
    with pytest.raises(ArtifactError, match="empty artifact store URL"):
        open_artifact_store("  ")
