"""A local write is durable before put_bytes returns: file, rename and new folders fsynced."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from modelfleet.artifacts import LocalArtifactStore


@pytest.fixture
def synced_folders(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Folders whose descriptor went through the real os.fsync during the test."""
    seen: list[Path] = []
    real: Callable[[int], None] = os.fsync

    def recording_fsync(fd: int) -> None:
        real(fd)  # the real call: the recorder only watches
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            seen.append(Path(f"/proc/self/fd/{fd}").readlink())

    monkeypatch.setattr(os, "fsync", recording_fsync)
    return seen


pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc (Linux)")


def test_put_fsyncs_the_shard_folder_after_the_rename(
    tmp_path: Path, synced_folders: list[Path]
) -> None:
    store = LocalArtifactStore(tmp_path / "artifacts")
    ref = store.put_bytes(b"durable")
    assert store.path_for(ref.digest).parent in synced_folders


def test_put_fsyncs_each_folder_it_creates_into_its_parent(
    tmp_path: Path, synced_folders: list[Path]
) -> None:
    store = LocalArtifactStore(tmp_path / "new" / "artifacts")
    store.put_bytes(b"durable")
    assert {tmp_path, tmp_path / "new", tmp_path / "new" / "artifacts"} <= set(synced_folders)


def test_put_of_bytes_already_stored_syncs_nothing(
    tmp_path: Path, synced_folders: list[Path]
) -> None:
    store = LocalArtifactStore(tmp_path / "artifacts")
    store.put_bytes(b"durable")
    synced_folders.clear()
    store.put_bytes(b"durable")
    assert synced_folders == []
