"""Every registered version gets a reference profile of its training inputs, target and holdout
predictions, as an artifact of its run, encoded as the version's own package encodes rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import modelfleet
from modelfleet.client import Client
from modelfleet.data.demo import DemoData
from modelfleet.pipeline.executors import InlineExecutor
from modelfleet.pipeline.runner import FleetRunSummary
from modelfleet.registry.reads import ArtifactStores, VersionArtifacts
from modelfleet.tracking.records import TenantRunRecord
from modelfleet.training.package import ModelPackage
from modelfleet.training.profiles import PROFILE_ARTIFACT, ReferenceProfile, profile_from_json


@dataclass
class Trained:
    client: Client
    summary: FleetRunSummary


def _train(root: Path, demo: DemoData) -> Iterator[Trained]:
    with modelfleet.connect(home=str(root / "home"), environ={}) as client:
        yield Trained(client, client.train(demo.spec_path, "dev", executor=InlineExecutor()))


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory, make_demo_fleet: Callable[..., DemoData]
) -> Iterator[Trained]:
    root = tmp_path_factory.mktemp("profiles")
    yield from _train(root, make_demo_fleet(root / "demo"))


@pytest.fixture(scope="module")
def pooled(
    tmp_path_factory: pytest.TempPathFactory,
    make_demo_fleet: Callable[..., DemoData],
    edit_spec: Callable[..., None],
) -> Iterator[Trained]:
    def pooled_wins(spec: dict[str, Any]) -> None:
        spec["model"]["pooled"] = True
        spec["model"]["params"] = {"n_estimators": 1, "learning_rate": 0.001}
        spec["model"]["pooled_params"] = {"n_estimators": 60, "learning_rate": 0.1}
        spec["environments"]["dev"] = {}
        spec["tenants"].pop("overrides", None)
        spec["validation"]["folds"] = 2

    root = tmp_path_factory.mktemp("pooled-profiles")
    demo = make_demo_fleet(root / "demo")
    edit_spec(demo.spec_path, pooled_wins)
    yield from _train(root, demo)


def _profile_and_package(trained: Trained, run: TenantRunRecord) -> tuple[ReferenceProfile, Any]:
    version = trained.client.resolve(
        f"{run.fleet}/{run.tenant}:{trained.summary.versions[run.tenant]}"
    )
    artifacts = VersionArtifacts(version, ArtifactStores(trained.client.settings.artifacts_url))
    (profile_ref,) = [a for a in run.artifacts if a.name == PROFILE_ARTIFACT]
    blob = artifacts.get_bytes(profile_ref.digest)
    assert run.params["profile.bytes"] == profile_ref.size_bytes == len(blob)
    return profile_from_json(blob), artifacts.load_package()


def _check(profile: ReferenceProfile, package: ModelPackage, run: TenantRunRecord) -> None:
    meta = package.meta
    assert [c.name for c in profile.features] == list(meta.feature_columns)
    for column in profile.features:
        assert column.count + column.nulls == run.params["data.train_rows"]
        if column.name in meta.vocabulary:
            assert column.kind == "categorical"
            assert len(column.counts) == len(meta.vocabulary[column.name])
        else:
            assert column.kind == "numeric"
    assert profile.target.count == run.params["data.train_rows"]
    assert profile.predictions.count == run.params["data.holdout_rows"]


def test_every_registered_version_has_a_profile_of_its_package_inputs(trained: Trained) -> None:
    runs = [r for r in trained.summary.records if r.tenant in trained.summary.versions]
    assert runs
    for run in runs:
        profile, package = _profile_and_package(trained, run)
        _check(profile, package, run)
        assert (profile.fleet, profile.tenant) == (run.fleet, run.tenant)


def test_a_profile_is_a_few_kilobytes_per_input_column(trained: Trained) -> None:
    run = trained.summary.records[0]
    profile, _ = _profile_and_package(trained, run)
    per_column = run.params["profile.bytes"] / (len(profile.features) + 2)
    assert per_column < 4_000


def test_a_pooled_version_is_profiled_in_the_pooled_vocabulary(pooled: Trained) -> None:
    runs = [r for r in pooled.summary.records if r.params.get("choice") == "pooled"]
    assert runs, [r.params.get("choice.reason") for r in pooled.summary.records]
    for run in runs:
        profile, package = _profile_and_package(pooled, run)
        assert package.meta.pooled is not None
        _check(profile, package, run)
