"""Artifact checks on a real local artifact folder: digests, temp files, unreferenced blobs."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelfleet.artifacts import ArtifactRef, LocalArtifactStore
from modelfleet.doctor.artifacts import (
    TEMP_SETTLE,
    check_digests,
    check_temp_files,
    check_unreferenced,
    span,
)
from modelfleet.store.audit import VersionBlobs

NOW = datetime(2026, 1, 10, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def store(tmp_path: Path) -> LocalArtifactStore:
    return LocalArtifactStore(tmp_path / "artifacts")


def _age(store: LocalArtifactStore, key: str, age: timedelta) -> None:
    stamp = (NOW - age).timestamp()
    os.utime(store.root / key, (stamp, stamp))


def _version(model: ArtifactRef, meta: ArtifactRef | None = None) -> VersionBlobs:
    return VersionBlobs("demand/s1", "1.0.0", model.digest, model.uri, meta and meta.digest, None)


def test_intact_artifacts_of_every_version_pass(store: LocalArtifactStore) -> None:
    version = _version(store.put_bytes(b"model"), store.put_bytes(b"meta"))
    found = check_digests(store, [version])
    assert (found.status, found.checked) == ("ok", 2)


def test_a_changed_byte_fails_naming_version_and_artifact(store: LocalArtifactStore) -> None:
    model = store.put_bytes(b"model bytes")
    store.path_for(model.digest).write_bytes(b"model bytez")
    found = check_digests(store, [_version(model)])
    assert found.status == "failed"
    (finding,) = found.findings
    assert finding.subject.startswith("demand/s1:1.0.0 artifact model (sha256 ")
    assert finding.problem.startswith("damaged")


def test_a_deleted_artifact_fails_as_missing(store: LocalArtifactStore) -> None:
    meta = store.put_bytes(b"meta")
    version = _version(store.put_bytes(b"model"), meta)
    store.path_for(meta.digest).unlink()
    (finding,) = check_digests(store, [version]).findings
    assert "artifact model_meta" in finding.subject
    assert finding.problem.startswith("missing")


def test_a_blob_shared_by_two_versions_is_reported_for_both(store: LocalArtifactStore) -> None:
    model = store.put_bytes(b"shared")
    store.path_for(model.digest).unlink()
    patch = VersionBlobs("demand/s1", "1.0.1", model.digest, model.uri, None, None)
    found = check_digests(store, [_version(model), patch])
    assert (found.checked, len(found.findings)) == (1, 2)


def _temp(store: LocalArtifactStore, age: timedelta) -> str:
    folder = store.root / "ab"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ".tmp-abcdef-123").write_bytes(b"half")
    _age(store, "ab/.tmp-abcdef-123", age)
    return "ab/.tmp-abcdef-123"


def test_a_temp_file_is_reported_and_kept_without_repair(store: LocalArtifactStore) -> None:
    key = _temp(store, timedelta(hours=1))
    found = check_temp_files(store, store.entries(), now=NOW, repair=False)
    assert found.status == "failed"
    assert found.findings[0].subject == key
    assert (store.root / key).exists()


def test_repair_removes_a_settled_temp_file(store: LocalArtifactStore) -> None:
    key = _temp(store, timedelta(hours=1))
    found = check_temp_files(store, store.entries(), now=NOW, repair=True)
    assert found.status == "repaired"
    assert not (store.root / key).exists()


def test_repair_leaves_a_temp_file_that_may_be_a_write_in_flight(
    store: LocalArtifactStore,
) -> None:
    key = _temp(store, TEMP_SETTLE / 2)
    found = check_temp_files(store, store.entries(), now=NOW, repair=True)
    assert found.status == "failed"
    assert (store.root / key).exists()


def _garbage(store: LocalArtifactStore, age: timedelta) -> ArtifactRef:
    ref = store.put_bytes(b"nobody's")
    _age(store, f"{ref.digest[:2]}/{ref.digest}", age)
    return ref


def test_an_old_unreferenced_blob_fails_naming_it(store: LocalArtifactStore) -> None:
    ref = _garbage(store, 2 * DAY)
    found = check_unreferenced(store, store.entries(), set(), now=NOW, grace=DAY, gc=False)
    assert found.status == "failed"
    assert found.findings[0].subject == f"{ref.digest[:2]}/{ref.digest}"
    assert store.exists(ref.digest)


def test_an_unreferenced_blob_within_the_grace_period_is_kept_and_not_counted(
    store: LocalArtifactStore,
) -> None:
    ref = _garbage(store, timedelta(hours=2))
    found = check_unreferenced(store, store.entries(), set(), now=NOW, grace=DAY, gc=True)
    assert found.status == "ok"
    assert "1 newer than 1d kept" in found.detail
    assert store.exists(ref.digest)


def test_gc_removes_old_unreferenced_blobs_and_never_a_referenced_one(
    store: LocalArtifactStore,
) -> None:
    garbage = _garbage(store, 2 * DAY)
    kept = store.put_bytes(b"a version's model")
    _age(store, f"{kept.digest[:2]}/{kept.digest}", 30 * DAY)
    found = check_unreferenced(store, store.entries(), {kept.digest}, now=NOW, grace=DAY, gc=True)
    assert found.status == "repaired"
    assert (store.exists(garbage.digest), store.exists(kept.digest)) == (False, True)


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (DAY, "1d"),
        (timedelta(hours=36), "36h"),
        (timedelta(minutes=5), "5m"),
        (timedelta(seconds=7), "7s"),
    ],
)
def test_durations_are_shown_as_people_write_them(duration: timedelta, text: str) -> None:
    assert span(duration) == text
