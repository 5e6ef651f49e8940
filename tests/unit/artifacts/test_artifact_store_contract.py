"""One contract for every artifact store backend: local folder and memory://."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import fsspec
import pytest

from modelfleet.artifacts import ArtifactRef, ArtifactStore, open_artifact_store
from modelfleet.errors import ArtifactError, ArtifactIntegrityError, NotFoundError

# A backend under test: the store, a way to overwrite the stored object's raw bytes, and a way
# to list every object name under the store root (to spot leftover temp files).
Backend = tuple[ArtifactStore, Callable[[str, bytes], None], Callable[[], list[str]]]


def _local_backend(tmp_path: Path) -> Backend:
    root = tmp_path / "artifacts"
    store = open_artifact_store(str(root))

    def tamper(digest: str, data: bytes) -> None:
        (root / digest[:2] / digest).write_bytes(data)

    def listing() -> list[str]:
        return sorted(p.name for p in root.rglob("*") if p.is_file())

    return store, tamper, listing


def _memory_backend(tmp_path: Path) -> Backend:
    # The memory filesystem is process-global: a unique root isolates each test.
    root = f"/modelfleet-test-{uuid.uuid4().hex}"
    store = open_artifact_store(f"memory://{root}")
    fs = fsspec.filesystem("memory")

    def tamper(digest: str, data: bytes) -> None:
        fs.pipe_file(f"{root}/{digest[:2]}/{digest}", data)

    def listing() -> list[str]:
        return sorted(name.rsplit("/", 1)[1] for name in fs.find(root))

    return store, tamper, listing


@pytest.fixture(params=["local", "memory"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    factory = {"local": _local_backend, "memory": _memory_backend}[request.param]
    yield factory(tmp_path)


def test_put_then_get_round_trips_the_bytes(backend: Backend) -> None:
    store, _, _ = backend
    data = b"model bytes \x00\x01\x02" * 100
    ref = store.put_bytes(data)
    assert store.get_bytes(ref.digest) == data


def test_ref_carries_sha256_size_and_uri_ending_in_sharded_key(backend: Backend) -> None:
    store, _, _ = backend
    data = b"hello artifacts"
    ref = store.put_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    assert ref == ArtifactRef(digest=expected, size_bytes=len(data), uri=ref.uri)
    assert ref.uri.endswith(f"/{expected[:2]}/{expected}")


def test_exists_reflects_whether_digest_was_stored(backend: Backend) -> None:
    store, _, _ = backend
    ref = store.put_bytes(b"present")
    assert store.exists(ref.digest)
    assert not store.exists(hashlib.sha256(b"absent").hexdigest())


def test_putting_the_same_bytes_twice_is_a_no_op(backend: Backend) -> None:
    store, _, listing = backend
    first = store.put_bytes(b"same")
    second = store.put_bytes(b"same")
    assert first == second
    assert listing() == [first.digest]


def test_empty_bytes_are_a_valid_artifact(backend: Backend) -> None:
    store, _, _ = backend
    ref = store.put_bytes(b"")
    assert ref.size_bytes == 0
    assert store.get_bytes(ref.digest) == b""


def test_get_detects_tampered_bytes(backend: Backend) -> None:
    store, tamper, _ = backend
    ref = store.put_bytes(b"original")
    tamper(ref.digest, b"originaL")
    with pytest.raises(ArtifactIntegrityError, match=ref.digest):
        store.get_bytes(ref.digest)


def test_put_repairs_a_truncated_copy(backend: Backend) -> None:
    store, tamper, _ = backend
    ref = store.put_bytes(b"complete payload")
    tamper(ref.digest, b"comp")
    store.put_bytes(b"complete payload")
    assert store.get_bytes(ref.digest) == b"complete payload"


def test_get_of_missing_digest_raises_not_found(backend: Backend) -> None:
    store, _, _ = backend
    missing = hashlib.sha256(b"never stored").hexdigest()
    with pytest.raises(NotFoundError, match=missing):
        store.get_bytes(missing)


@pytest.mark.parametrize("bad", ["", "abc", "../" + "a" * 61, "A" * 64, "g" * 64])
def test_malformed_digest_is_rejected_before_touching_storage(backend: Backend, bad: str) -> None:
    store, _, _ = backend
    with pytest.raises(ArtifactError, match="invalid artifact digest"):
        store.get_bytes(bad)


def test_concurrent_puts_from_threads_store_one_intact_copy(backend: Backend) -> None:
    store, _, listing = backend
    data = b"x" * 200_000
    with ThreadPoolExecutor(max_workers=8) as pool:
        refs = list(pool.map(lambda _: store.put_bytes(data), range(32)))
    assert len(set(refs)) == 1
    assert store.get_bytes(refs[0].digest) == data
    assert listing() == [refs[0].digest]


def test_no_temp_files_are_left_after_many_puts(backend: Backend) -> None:
    store, _, listing = backend
    refs = [store.put_bytes(f"blob {i}".encode()) for i in range(20)]
    assert listing() == sorted(ref.digest for ref in refs)


# Each process writes the same 40 blobs in the same order, so the two race on every digest.
_WRITER = """
import sys
from modelfleet.artifacts import open_artifact_store
store = open_artifact_store(sys.argv[1])
for i in range(40):
    store.put_bytes(bytes([i]) * 100_000)
"""


def test_concurrent_puts_from_two_processes_are_safe(tmp_path: Path) -> None:
    # Processes only make sense for the local folder: memory:// is private to one process.
    root = tmp_path / "artifacts"
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(root)], stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    errors = [proc.communicate(timeout=60)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], errors
    store = open_artifact_store(str(root))
    blobs = [bytes([i]) * 100_000 for i in range(40)]
    digests = [hashlib.sha256(blob).hexdigest() for blob in blobs]
    assert [store.get_bytes(d) for d in digests] == blobs
    assert sorted(p.name for p in root.rglob("*") if p.is_file()) == sorted(digests)


def test_verify_returns_the_size_of_intact_bytes(backend: Backend) -> None:
    store, _, _ = backend
    data = b"x" * (3 * 1024 * 1024 + 7)  # more than one 1 MiB chunk
    ref = store.put_bytes(data)
    assert store.verify(ref.digest) == len(data)


def test_verify_detects_one_changed_byte(backend: Backend) -> None:
    store, tamper, _ = backend
    ref = store.put_bytes(b"original bytes")
    tamper(ref.digest, b"original bytez")
    with pytest.raises(ArtifactIntegrityError, match=ref.digest):
        store.verify(ref.digest)


def test_verify_of_missing_digest_raises_not_found(backend: Backend) -> None:
    store, _, _ = backend
    with pytest.raises(NotFoundError):
        store.verify(hashlib.sha256(b"never stored").hexdigest())


def test_entries_list_each_blob_with_its_digest_and_size(backend: Backend) -> None:
    store, _, _ = backend
    refs = [store.put_bytes(b"one"), store.put_bytes(b"two two")]
    entries = {e.digest: e for e in store.entries()}
    assert {d: (e.kind, e.size_bytes) for d, e in entries.items()} == {
        r.digest: ("blob", r.size_bytes) for r in refs
    }


def test_entries_of_a_store_never_written_are_empty(backend: Backend) -> None:
    store, _, _ = backend
    assert store.entries() == []


def test_discard_removes_a_blob(backend: Backend) -> None:
    store, _, _ = backend
    ref = store.put_bytes(b"doomed")
    (entry,) = store.entries()
    store.discard(entry)
    assert not store.exists(ref.digest)
