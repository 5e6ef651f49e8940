"""Artifacts sealed at the storage seam, on the local folder and memory:// backends: the digest
stays the plaintext's, old plaintext blobs stay readable, and nothing unkeyed or altered opens."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import fsspec
import pytest

from modelfleet.artifacts import ArtifactStore, digest_of, open_artifact_store
from modelfleet.crypto import KEYS_ENV, Keyring, new_key_line, parse_keyring, sealed_key_id
from modelfleet.errors import ArtifactError, ArtifactIntegrityError

OLD = parse_keyring([old := new_key_line("old")], source="test")
ROTATED = parse_keyring([new_key_line("new"), old], source="test")
DATA = b'{"family": "lightgbm", "marker": "PLAINTEXT-MARKER-7731"}' * 40

# An opener of the same store under a given keyring, and a reader/writer of its raw bytes.
Opener = Callable[[Keyring | None], ArtifactStore]
Raw = tuple[Callable[[str], bytes], Callable[[str, bytes], None]]


@pytest.fixture(params=["local", "memory"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Opener, Raw]:
    if request.param == "local":
        root = tmp_path / "artifacts"

        def read_local(digest: str) -> bytes:
            return (root / digest[:2] / digest).read_bytes()

        def write_local(digest: str, data: bytes) -> None:
            (root / digest[:2] / digest).write_bytes(data)

        return (lambda ring: open_artifact_store(str(root), ring)), (read_local, write_local)
    base = f"/modelfleet-crypt-{uuid.uuid4().hex}"
    fs = fsspec.filesystem("memory")

    def read_memory(digest: str) -> bytes:
        return bytes(fs.cat_file(f"{base}/{digest[:2]}/{digest}"))

    def write_memory(digest: str, data: bytes) -> None:
        fs.pipe_file(f"{base}/{digest[:2]}/{digest}", data)

    return (lambda ring: open_artifact_store(f"memory://{base}", ring)), (
        read_memory,
        write_memory,
    )


def test_the_digest_is_the_plaintexts_sha256(backend: tuple[Opener, Raw]) -> None:
    opener, _ = backend
    assert opener(OLD).put_bytes(DATA).digest == digest_of(DATA)


def test_the_stored_bytes_hold_no_plaintext(backend: tuple[Opener, Raw]) -> None:
    opener, (read, _) = backend
    ref = opener(OLD).put_bytes(DATA)

    assert b"PLAINTEXT-MARKER" not in read(ref.digest)


def test_a_sealed_artifact_reads_back_and_verifies(backend: tuple[Opener, Raw]) -> None:
    opener, _ = backend
    store = opener(OLD)
    ref = store.put_bytes(DATA)

    assert store.get_bytes(ref.digest) == DATA
    assert store.verify(ref.digest) == len(DATA)


def test_a_plaintext_artifact_stays_readable_with_encryption_on(
    backend: tuple[Opener, Raw],
) -> None:
    opener, _ = backend
    ref = opener(None).put_bytes(DATA)

    assert opener(OLD).get_bytes(ref.digest) == DATA
    assert opener(OLD).verify(ref.digest) == len(DATA)


def test_after_rotation_old_artifacts_read_and_new_ones_use_the_new_key(
    backend: tuple[Opener, Raw],
) -> None:
    opener, (read, _) = backend
    old_ref = opener(OLD).put_bytes(DATA)
    new_ref = opener(ROTATED).put_bytes(DATA + b"v2")

    assert opener(ROTATED).get_bytes(old_ref.digest) == DATA
    assert sealed_key_id(read(new_ref.digest)) == "new"


def test_encryption_off_names_the_artifact_and_key_and_changes_nothing(
    backend: tuple[Opener, Raw],
) -> None:
    opener, (read, _) = backend
    ref = opener(OLD).put_bytes(DATA)
    before = read(ref.digest)

    with pytest.raises(ArtifactError, match=rf"artifact {ref.digest} .*key 'old'.*no encryption"):
        opener(None).get_bytes(ref.digest)
    assert read(ref.digest) == before


def test_a_writer_with_encryption_off_keeps_the_sealed_copy(backend: tuple[Opener, Raw]) -> None:
    opener, (read, _) = backend
    ref = opener(OLD).put_bytes(DATA)
    before = read(ref.digest)

    opener(None).put_bytes(DATA)

    assert read(ref.digest) == before


def test_a_missing_key_id_is_named_on_verify(backend: tuple[Opener, Raw]) -> None:
    opener, _ = backend
    ref = opener(OLD).put_bytes(DATA)
    only_new = parse_keyring([new_key_line("new")], source="test")

    with pytest.raises(ArtifactError, match=rf"{ref.digest}.*key 'old'"):
        opener(only_new).verify(ref.digest)


def test_a_flipped_byte_is_refused_on_read(backend: tuple[Opener, Raw]) -> None:
    opener, (read, write) = backend
    ref = opener(OLD).put_bytes(DATA)
    blob = bytearray(read(ref.digest))
    blob[-40] ^= 0x01
    write(ref.digest, bytes(blob))

    with pytest.raises(ArtifactIntegrityError, match=f"artifact {ref.digest}"):
        opener(OLD).get_bytes(ref.digest)


def test_a_flipped_byte_is_refused_on_verify(backend: tuple[Opener, Raw]) -> None:
    opener, (read, write) = backend
    ref = opener(OLD).put_bytes(DATA)
    blob = bytearray(read(ref.digest))
    blob[-40] ^= 0x01
    write(ref.digest, bytes(blob))

    with pytest.raises(ArtifactIntegrityError, match=f"artifact {ref.digest}"):
        opener(OLD).verify(ref.digest)


def test_a_sealed_blob_swapped_under_another_address_is_refused(
    backend: tuple[Opener, Raw],
) -> None:
    opener, (read, write) = backend
    store = opener(OLD)
    first, second = store.put_bytes(DATA), store.put_bytes(DATA + b"other")
    write(second.digest, read(first.digest))

    with pytest.raises(ArtifactIntegrityError):
        store.get_bytes(second.digest)


def test_the_factory_takes_the_keyring_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEYS_ENV, new_key_line("env"))
    ref = open_artifact_store(str(tmp_path)).put_bytes(DATA)

    assert sealed_key_id((tmp_path / ref.digest[:2] / ref.digest).read_bytes()) == "env"
