"""The model package: predicting from raw rows, saving beside LightGBM text, loading back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pyarrow as pa
import pytest

from modelfleet.artifacts import LocalArtifactStore
from modelfleet.errors import PackageError, TrainingError
from modelfleet.training.families import resolve_family
from modelfleet.training.frames import FeatureFrame
from modelfleet.training.package import ModelPackage, PackageMetadata, load_metadata
from modelfleet.training.package_meta import metadata_to_json

START = np.datetime64("2024-01-01", "D")
REGIONS = ("east", "north", "south")


def raw_rows(n: int, seed: int) -> pa.Table:
    """Daily raw rows: a region name, a number and sales that depend on both."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, n)
    regions = [REGIONS[i % 3] for i in range(n)]
    level = np.array([{"east": 50.0, "north": 100.0, "south": 10.0}[r] for r in regions])
    return pa.table(
        {
            "date": pa.array((START + np.arange(n)).astype("datetime64[us]")),
            "x": pa.array(x),
            "region": pa.array(regions),
            "sales": pa.array(level + 2 * x),
        }
    )


@pytest.fixture(scope="module")
def package() -> ModelPackage:
    """A LightGBM package trained on 200 raw rows through its own encoding."""
    rows = raw_rows(200, seed=0)
    meta = PackageMetadata.from_training(
        rows,
        fleet="demand",
        tenant="s1",
        family="lightgbm",
        task="regression",
        frequency="D",
        horizon=7,
        timestamp="date",
        target="sales",
        feature_columns=("x", "region"),
        categorical=("region",),
    )
    params = {"n_estimators": 20, "min_child_samples": 3}
    # Encoded with the metadata, as the pipeline does before an estimator exists.
    train = FeatureFrame(meta.encode(rows), rows["date"].to_numpy(), meta.categorical, meta.period)
    y = rows["sales"].to_numpy()
    estimator = resolve_family("lightgbm").fit(train, y, "regression", params)
    return ModelPackage(estimator, meta)


class NoReads:
    """An artifact source that fails on any read, to prove a code path reads nothing."""

    def __init__(self, allowed: LocalArtifactStore, *readable: str) -> None:
        self.allowed, self.readable = allowed, set(readable)

    def get_bytes(self, digest: str) -> bytes:
        if digest not in self.readable:
            raise AssertionError(f"read {digest}")
        return self.allowed.get_bytes(digest)


def test_save_then_load_gives_equal_metadata_and_predictions(
    package: ModelPackage, tmp_path: Path
) -> None:
    store = LocalArtifactStore(tmp_path)
    rows = raw_rows(30, seed=1)

    loaded = ModelPackage.load(store, package.save(store).meta.digest)

    assert loaded.meta == package.meta
    np.testing.assert_array_equal(loaded.predict(rows), package.predict(rows))


def test_the_model_file_loads_with_plain_lightgbm_and_predicts_the_same(
    package: ModelPackage, tmp_path: Path
) -> None:
    refs = package.save(LocalArtifactStore(tmp_path / "store"))
    rows = raw_rows(30, seed=2)
    path = tmp_path / "model.txt"
    path.write_bytes(LocalArtifactStore(tmp_path / "store").get_bytes(refs.model.digest))

    booster = lgb.Booster(model_file=str(path))

    matrix = package.frame(rows).to_matrix(["x", "region"], family="test")
    np.testing.assert_array_equal(booster.predict(matrix), package.predict(rows))


def test_the_metadata_sits_beside_the_model_and_names_its_digest(
    package: ModelPackage, tmp_path: Path
) -> None:
    store = LocalArtifactStore(tmp_path)

    refs = package.save(store)

    doc = json.loads(store.get_bytes(refs.meta.digest))
    assert doc["model_digest"] == refs.model.digest
    assert not store.get_bytes(refs.model.digest).startswith(b"{")  # nothing added inside


def test_predict_encodes_raw_rows_unknown_categories_included(package: ModelPackage) -> None:
    rows = raw_rows(3, seed=3).set_column(2, "region", pa.array(["east", "mars", None]))

    frame = package.frame(rows)

    assert frame.features["region"].to_pylist() == [0, None, None]
    assert np.isfinite(package.predict(rows)).all()


def test_predict_takes_explicit_timestamps_when_the_rows_have_no_timestamp_column(
    package: ModelPackage,
) -> None:
    rows = raw_rows(5, seed=4)
    stamps = rows["date"].to_numpy()

    predicted = package.predict(rows.drop_columns(["date"]), stamps)

    np.testing.assert_array_equal(predicted, package.predict(rows))


def test_rows_without_timestamps_are_refused_naming_the_column(package: ModelPackage) -> None:
    with pytest.raises(TrainingError, match="no timestamp column 'date'"):
        package.predict(raw_rows(5, seed=4).drop_columns(["date"]))


def test_load_metadata_reads_only_the_metadata(package: ModelPackage, tmp_path: Path) -> None:
    store = LocalArtifactStore(tmp_path)
    refs = package.save(store)

    meta = load_metadata(NoReads(store, refs.meta.digest), refs.meta.digest)

    assert meta == package.meta


def test_a_model_digest_other_than_the_metadatas_is_refused(
    package: ModelPackage, tmp_path: Path
) -> None:
    store = LocalArtifactStore(tmp_path)
    refs = package.save(store)

    with pytest.raises(PackageError, match="mismatched artifacts"):
        ModelPackage.load(store, refs.meta.digest, model_digest="cd" * 32)


def test_an_estimator_of_another_family_cannot_be_packaged(package: ModelPackage) -> None:
    mean = resolve_family("mean").fit(
        package.frame(raw_rows(10, seed=5)), np.ones(10), "regression", {}
    )

    with pytest.raises(PackageError, match="a 'mean' estimator cannot be packaged"):
        ModelPackage(mean, package.meta)


def test_an_old_model_meta_dict_and_header_model_still_load_as_a_package(
    package: ModelPackage, tmp_path: Path
) -> None:
    # What runs stored before packages: model bytes behind a JSON header, and a model_meta
    # dict without format_version or feature_views.
    store = LocalArtifactStore(tmp_path)
    header: dict[str, Any] = {"format": "modelfleet.lightgbm", "version": 1, "task": "regression"}
    header |= {"features": ["x", "region"], "categorical": ["region"]}
    old_model = store.put_bytes(json.dumps(header).encode() + b"\n" + package.estimator.to_bytes())
    old_meta = json.loads(metadata_to_json(package.meta, old_model.digest))
    del old_meta["format_version"], old_meta["feature_views"]
    meta_ref = store.put_bytes(json.dumps(old_meta).encode())
    rows = raw_rows(20, seed=6)

    loaded = ModelPackage.load(store, meta_ref.digest)

    assert loaded.meta == package.meta
    np.testing.assert_array_equal(loaded.predict(rows), package.predict(rows))


def test_damaged_metadata_fails_loading_with_a_package_error(
    package: ModelPackage, tmp_path: Path
) -> None:
    store = LocalArtifactStore(tmp_path)
    broken = store.put_bytes(b'{"format_version": 1, "task": "regression"}')

    with pytest.raises(PackageError, match="lacks field 'fleet'"):
        ModelPackage.load(store, broken.digest)
