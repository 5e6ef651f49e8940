"""Pooled and baseline versions round trip: trained, registered, loaded back, promoted.

The per-tenant model is crippled (one tree, a tiny learning rate) so the pooled model wins the
validation choice for tenants; a second fleet asks for a 90% gain, so every tenant falls back to
its baseline, which must still be registered and promotable under a beat-the-baseline step.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

import modelfleet
from modelfleet.client import Client
from modelfleet.data.demo import DemoData
from modelfleet.pipeline.executors import InlineExecutor
from modelfleet.pipeline.runner import FleetRunSummary
from modelfleet.registry.reads import ArtifactStores, VersionArtifacts
from modelfleet.scoring.explain import explain
from modelfleet.training.frames import HOLDOUT_TARGET, HOLDOUT_TIMESTAMP
from modelfleet.training.metrics import compute_metrics
from modelfleet.training.pooled import LOG_SCALE


@dataclass
class Trained:
    client: Client
    summary: FleetRunSummary
    demo: DemoData


def _train(
    root: Path,
    make_demo_fleet: Callable[..., DemoData],
    edit_spec: Callable[..., None],
    change: Callable[[dict[str, Any]], None],
) -> Iterator[Trained]:
    demo = make_demo_fleet(root / "demo")
    edit_spec(demo.spec_path, change)
    with modelfleet.connect(home=str(root / "home"), environ={}) as client:
        summary = client.train(demo.spec_path, "dev", executor=InlineExecutor())
        yield Trained(client, summary, demo)


def _pooled_wins(spec: dict[str, Any]) -> None:
    spec["model"]["pooled"] = True
    spec["model"]["params"] = {"n_estimators": 1, "learning_rate": 0.001}
    spec["model"]["pooled_params"] = {"n_estimators": 80, "learning_rate": 0.1}
    spec["environments"]["dev"] = {}  # the demo's dev overlay would change the params
    spec["tenants"].pop("overrides", None)
    spec["validation"]["folds"] = 2  # the pooled stage fits once per fold, then refits


def _baseline_wins(spec: dict[str, Any]) -> None:
    spec["gates"]["min_improvement"] = 0.9
    spec.setdefault("promotion", {})["steps"] = {"dev": {"min_improvement": 0.05}}


@pytest.fixture(scope="module")
def pooled(
    tmp_path_factory: pytest.TempPathFactory,
    make_demo_fleet: Callable[..., DemoData],
    edit_spec: Callable[..., None],
) -> Iterator[Trained]:
    yield from _train(tmp_path_factory.mktemp("pooled"), make_demo_fleet, edit_spec, _pooled_wins)


@pytest.fixture(scope="module")
def fallback(
    tmp_path_factory: pytest.TempPathFactory,
    make_demo_fleet: Callable[..., DemoData],
    edit_spec: Callable[..., None],
) -> Iterator[Trained]:
    root = tmp_path_factory.mktemp("fallback")
    yield from _train(root, make_demo_fleet, edit_spec, _baseline_wins)


def _pooled_runs(trained: Trained) -> list[Any]:
    runs = [r for r in trained.summary.records if r.params.get("choice") == "pooled"]
    assert runs, [r.params.get("choice.reason") for r in trained.summary.records]
    return runs


def test_every_pooled_version_points_at_one_shared_booster(pooled: Trained) -> None:
    runs = _pooled_runs(pooled)
    digests = {a.digest for r in runs for a in r.artifacts if a.name == "model"}
    metas = {a.digest for r in runs for a in r.artifacts if a.name == "model_meta"}

    assert len(digests) == 1
    assert len(metas) == len(runs)  # each tenant's own scale and attributes
    assert {r.model_family for r in runs} == {"pooled_lightgbm"}


def test_a_pooled_version_loaded_from_the_store_predicts_its_recorded_holdout(
    pooled: Trained,
) -> None:
    stores = ArtifactStores(pooled.client.settings.artifacts_url)
    for run in _pooled_runs(pooled):
        version = pooled.client.resolve(
            f"{run.fleet}/{run.tenant}:{pooled.summary.versions[run.tenant]}"
        )
        artifacts = VersionArtifacts(version, stores)
        package = artifacts.load_package()
        assert version.holdout_digest is not None
        table = pq.read_table(io.BytesIO(artifacts.get_bytes(version.holdout_digest)))
        rows = package.meta.decode_categories(
            table.drop_columns([HOLDOUT_TARGET, HOLDOUT_TIMESTAMP])
        )

        predicted = package.predict(rows, table[HOLDOUT_TIMESTAMP].to_numpy())

        again = compute_metrics("regression", table[HOLDOUT_TARGET].to_numpy(), predicted)
        assert again == pytest.approx(dict(run.metrics), rel=1e-9)
        assert np.all(np.isfinite(predicted))


def test_a_baseline_fallback_version_is_registered_for_every_tenant(fallback: Trained) -> None:
    records = fallback.summary.records

    assert {r.params["choice"] for r in records} == {"baseline"}
    assert set(fallback.summary.versions) == {r.tenant for r in records}
    for record in records:
        version = fallback.client.resolve(f"{record.fleet}/{record.tenant}")
        assert version.family == "seasonal_naive"


def test_a_baseline_fallback_version_is_promoted_past_a_beat_the_baseline_step(
    fallback: Trained,
) -> None:
    record = fallback.summary.records[0]

    outcome = fallback.client.promote(
        f"{record.fleet}/{record.tenant}", "dev", spec=fallback.demo.spec_path
    )

    assert outcome.moved, outcome.reason
    assert "baseline fallback version" in outcome.reason


def test_with_two_folds_the_pooled_model_is_scored_on_both_windows(pooled: Trained) -> None:
    runs = [r for r in pooled.summary.records if r.status == "succeeded"]

    assert runs and all(r.params["validation.folds"] == 2 for r in runs)
    assert all(r.params["data.validation_rows"] == 2 * r.params["validation.window"] for r in runs)
    assert all(isinstance(r.params["validation.pooled.wmape"], float) for r in runs)


def _holdout_rows(trained: Trained, run: Any) -> tuple[Any, Any, np.ndarray]:
    version = trained.client.resolve(
        f"{run.fleet}/{run.tenant}:{trained.summary.versions[run.tenant]}"
    )
    artifacts = VersionArtifacts(version, ArtifactStores(trained.client.settings.artifacts_url))
    package = artifacts.load_package()
    assert version.holdout_digest is not None
    table = pq.read_table(io.BytesIO(artifacts.get_bytes(version.holdout_digest)))
    rows = package.meta.decode_categories(table.drop_columns([HOLDOUT_TARGET, HOLDOUT_TIMESTAMP]))
    return package, rows, table[HOLDOUT_TIMESTAMP].to_numpy()


def test_a_pooled_versions_contributions_add_up_to_its_predictions_in_tenant_units(
    pooled: Trained,
) -> None:
    package, rows, stamps = _holdout_rows(pooled, _pooled_runs(pooled)[0])

    found = explain(package, rows, stamps)

    assert found.method == "tree_shap"
    assert found.names[-1] == LOG_SCALE  # the tenant's scale is an input of its own
    total = found.base + found.contributions.sum(axis=1)
    assert total == pytest.approx(package.predict(rows, stamps), rel=1e-6)


def test_a_baseline_version_is_explained_by_break_down_with_nothing_from_its_inputs(
    fallback: Trained,
) -> None:
    package, rows, stamps = _holdout_rows(fallback, fallback.summary.records[0])

    found = explain(package, rows, stamps)

    assert found.method == "break_down"
    assert np.all(found.contributions == 0)  # seasonal naive reads only the calendar
    assert found.base == pytest.approx(package.predict(rows, stamps))
