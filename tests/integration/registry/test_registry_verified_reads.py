"""Every read of a version's artifact bytes checks their sha256, with real LightGBM packages.

A package is trained and stored in a local artifact folder, registered, and then its files are
changed, cut short or deleted on disk: the verified reads refuse with a message naming the
model, the version, the artifact and what to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from modelfleet.errors import ArtifactIntegrityError
from modelfleet.registry import ModelVersion, Registry
from modelfleet.registry.reads import ArtifactStores, VersionArtifacts
from modelfleet.store import open_store

from .conftest import FLEET, holdout_rows, ticking_clock, trained_run


@pytest.fixture
def registry() -> Iterator[Registry]:
    """One backend is enough: these tests are about artifact bytes, not storage."""
    with Registry(open_store("sqlite://"), clock=ticking_clock()) as opened:
        yield opened


@pytest.fixture
def version(registry: Registry, tmp_path: Path) -> ModelVersion:
    """s1 1.0.0: a real LightGBM package, its metadata and holdout under ``tmp_path``."""
    run = trained_run(tmp_path, "s1", slope=2.0, vocab=("north", "south"), holdout=holdout_rows())
    return registry.register(run, caller="trainer")


def _file(root: Path, digest: str | None) -> Path:
    assert digest is not None
    return root / digest[:2] / digest


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))


def test_an_intact_package_loads_and_predicts(version: ModelVersion) -> None:
    package = VersionArtifacts(version, ArtifactStores()).load_package()
    rows = pa.table({"x": [1.0, 5.0], "region": ["north", "south"], "date": [0, 1]})
    predictions = package.predict(rows, np.array([0, 1], dtype="datetime64[D]"))
    assert predictions.shape == (2,)


def test_loading_a_package_with_one_changed_model_byte_is_refused(
    version: ModelVersion, tmp_path: Path
) -> None:
    _flip_last_byte(_file(tmp_path, version.model_digest))
    with pytest.raises(ArtifactIntegrityError) as info:
        VersionArtifacts(version, ArtifactStores()).load_package()
    message = str(info.value)
    assert f"model {FLEET}/s1 version 1.0.0: artifact 'model'" in message
    assert "modelfleet doctor" in message
    assert "modelfleet train --tenant s1" in message


def test_verify_refuses_truncated_package_metadata(version: ModelVersion, tmp_path: Path) -> None:
    meta = _file(tmp_path, version.meta_digest)
    meta.write_bytes(meta.read_bytes()[:10])
    with pytest.raises(ArtifactIntegrityError, match=r"artifact 'model_meta'.*is damaged"):
        VersionArtifacts(version, ArtifactStores()).verify()


def test_verify_refuses_a_missing_holdout(version: ModelVersion, tmp_path: Path) -> None:
    _file(tmp_path, version.holdout_digest).unlink()
    with pytest.raises(ArtifactIntegrityError, match=r"artifact 'holdout'.*is missing"):
        VersionArtifacts(version, ArtifactStores()).verify()


def test_verify_of_an_intact_version_reads_every_artifact_without_error(
    version: ModelVersion,
) -> None:
    VersionArtifacts(version, ArtifactStores()).verify()
