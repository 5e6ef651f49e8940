"""What one fleet run records for every tenant: metrics, params, artifacts, lineage, identities.

One demo fleet is trained once for the module (inline); each test checks one part of the records.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import modelfleet
from modelfleet.artifacts import open_artifact_store
from modelfleet.client import Client
from modelfleet.config.spec import FleetSpec, load_spec
from modelfleet.data.demo import DemoData
from modelfleet.data.ingest import load_fleet_data
from modelfleet.pipeline.executors import InlineExecutor
from modelfleet.pipeline.runner import FleetRunSummary
from modelfleet.pipeline.tenant import (
    HOLDOUT_TARGET,
    HOLDOUT_TIMESTAMP,
    TenantTask,
    split_holdout,
)
from modelfleet.tracking.records import TenantRunRecord
from modelfleet.training.frames import FeatureFrame
from modelfleet.training.gates import relative_improvement
from modelfleet.training.metrics import compute_metrics
from modelfleet.training.package import ModelPackage

METRICS = {"wmape", "mae", "rmse"}
STAGES = {"split", "baseline", "fit", "refit", "predict", "save"}


@dataclass
class Trained:
    demo: DemoData
    client: Client
    spec: FleetSpec
    summary: FleetRunSummary
    tasks: dict[str, TenantTask]
    runs: dict[str, TenantRunRecord]  # read back from the store, by tenant


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory,
    make_demo_fleet: Callable[..., DemoData],
    recording_executor_class: type[Any],
) -> Iterator[Trained]:
    root = tmp_path_factory.mktemp("records")
    demo = make_demo_fleet(root / "demo")
    executor = recording_executor_class()
    with modelfleet.connect(home=str(root / "home"), environ={}) as client:
        summary = client.train(demo.spec_path, "dev", executor=executor)
        runs = {r.tenant: r for r in client.runs(fleet_run_id=summary.fleet_run_id)}
        yield Trained(
            demo=demo,
            client=client,
            spec=load_spec(demo.spec_path, "dev"),
            summary=summary,
            tasks=executor.tasks,
            runs=runs,
        )


def _artifact(run: TenantRunRecord, name: str) -> Any:
    return next(a for a in run.artifacts if a.name == name)


def test_every_tenant_gets_exactly_one_run(trained: Trained, demo_tenants: tuple[str, ...]) -> None:
    stored = trained.client.runs(fleet_run_id=trained.summary.fleet_run_id)

    assert sorted(r.tenant for r in stored) == sorted(demo_tenants)
    assert {r.run_id for r in stored} == {r.run_id for r in trained.summary.records}


def test_stored_runs_equal_the_records_the_run_returned(trained: Trained) -> None:
    for record in trained.summary.records:
        assert trained.client.run(record.run_id) == record


def test_every_run_has_finite_candidate_and_baseline_metrics(trained: Trained) -> None:
    for run in trained.runs.values():
        assert run.status in ("succeeded", "rejected"), run.reason
        assert set(run.metrics) >= METRICS
        assert set(run.baseline_metrics) >= METRICS
        assert all(
            math.isfinite(v) for v in (*run.metrics.values(), *run.baseline_metrics.values())
        )


def test_the_choice_is_the_gate_verdict_on_the_validation_scores(trained: Trained) -> None:
    # Decided on the validation window, not on the holdout the metrics come from.
    needed = trained.spec.gates.min_improvement
    for run in trained.runs.values():
        chosen = str(run.params["choice"])
        baseline = float(run.params["validation.baseline.wmape"])  # type: ignore[arg-type]
        if chosen == "baseline":
            assert run.reason is not None and run.reason.startswith("fallback to the baseline")
            continue
        score = float(run.params[f"validation.{chosen}.wmape"])  # type: ignore[arg-type]
        assert relative_improvement("wmape", score, baseline) >= needed
        assert run.status == "succeeded" and run.reason is None


def test_recorded_metrics_are_the_holdout_scores_of_the_chosen_model(trained: Trained) -> None:
    for run in trained.runs.values():
        chosen = str(run.params["choice"])
        assert run.metrics["wmape"] == run.params[f"holdout.{chosen}.wmape"]
        assert run.baseline_metrics["wmape"] == run.params["holdout.baseline.wmape"]


def test_params_carry_the_environment_overlay_and_the_tenant_override(trained: Trained) -> None:
    # dev overlay: 50 trees for everyone; store 3 has its own leaves in the demo spec.
    for tenant, run in trained.runs.items():
        assert run.params["model.n_estimators"] == 50
        assert run.params["model.num_leaves"] == (15 if tenant == "3" else 31)
    assert trained.runs["3"].params["model.min_child_samples"] == 30
    assert "model.min_child_samples" not in trained.runs["1"].params


def test_params_record_the_holdout_split_sizes(trained: Trained) -> None:
    horizon = trained.spec.validation.horizon
    for run in trained.runs.values():
        assert run.params["validation.horizon"] == horizon
        assert run.params["data.holdout_rows"] == horizon
        assert run.params["data.train_rows"] == 200 - horizon
        assert run.params["validation.folds"] == trained.spec.validation.folds
        assert run.params["data.validation_rows"] == (
            trained.spec.validation.folds * trained.spec.validation.validation_window
        )
        assert run.params["data.fit_rows"] == 200 - horizon - run.params["data.validation_rows"]


def test_timings_cover_every_stage(trained: Trained) -> None:
    for run in trained.runs.values():
        assert set(run.timings) >= STAGES
        assert all(seconds >= 0 for seconds in run.timings.values())


def test_artifact_digests_address_the_stored_bytes(trained: Trained) -> None:
    store = open_artifact_store(trained.client.settings.artifacts_url)
    for run in trained.runs.values():
        assert {a.name for a in run.artifacts} == {"model", "model_meta", "holdout", "profile"}
        for artifact in run.artifacts:
            blob = store.get_bytes(artifact.digest)
            assert hashlib.sha256(blob).hexdigest() == artifact.digest
            assert len(blob) == artifact.size_bytes


def test_model_package_loads_back_and_reproduces_the_recorded_metrics(trained: Trained) -> None:
    store = open_artifact_store(trained.client.settings.artifacts_url)
    for tenant, run in trained.runs.items():
        package = ModelPackage.load(store, _artifact(run, "model_meta").digest)
        task = trained.tasks[tenant]
        split = split_holdout(task)
        rows = split.raw_holdout()

        again = compute_metrics("regression", split.y_holdout, package.predict(rows))

        assert again == pytest.approx(dict(run.metrics), rel=1e-9)


def test_holdout_artifact_holds_the_holdout_rows_and_rescores_to_the_recorded_metrics(
    trained: Trained,
) -> None:
    store = open_artifact_store(trained.client.settings.artifacts_url)
    for tenant, run in trained.runs.items():
        rows = pq.read_table(pa.BufferReader(store.get_bytes(_artifact(run, "holdout").digest)))
        split = split_holdout(trained.tasks[tenant])
        package = ModelPackage.load(store, _artifact(run, "model_meta").digest)
        features = rows.select(list(trained.tasks[tenant].feature_columns))
        stamps = rows[HOLDOUT_TIMESTAMP].to_numpy()
        # The rows are encoded in the registered package's vocabulary (pooled or not).
        frame = FeatureFrame(features, stamps, package.meta.categorical, package.meta.period)

        assert np.array_equal(stamps.astype("datetime64[ns]"), split.holdout.timestamps)
        target = rows[HOLDOUT_TARGET].to_numpy()
        assert compute_metrics(
            "regression", target, package.estimator.predict(frame)
        ) == pytest.approx(dict(run.metrics), rel=1e-9)


def test_model_meta_artifact_describes_the_tenant_and_its_inputs(trained: Trained) -> None:
    store = open_artifact_store(trained.client.settings.artifacts_url)
    for tenant, run in trained.runs.items():
        meta = json.loads(store.get_bytes(_artifact(run, "model_meta").digest))
        task = trained.tasks[tenant]
        assert (meta["fleet"], meta["tenant"]) == ("demo-retail", tenant)
        assert meta["family"] == run.model_family
        assert run.model_family in {"lightgbm", "pooled_lightgbm", "seasonal_naive"}
        assert meta["feature_columns"] == list(task.feature_columns)
        assert meta["horizon"] == trained.spec.validation.horizon
        assert meta["model_digest"] == _artifact(run, "model").digest


def test_lineage_records_the_installed_package_versions(trained: Trained) -> None:
    expected = {
        f"package.{name}": metadata.version(name)
        for name in ("lightgbm", "scikit-learn", "numpy", "pyarrow", "duckdb", "modelfleet")
    }
    expected["package.python"] = platform.python_version()
    for run in trained.runs.values():
        assert {k: run.lineage.get(k) for k in expected} == expected


def test_data_fingerprint_is_the_fingerprint_of_the_tenants_own_data(trained: Trained) -> None:
    fingerprints = load_fleet_data(trained.spec).fingerprints

    for tenant, run in trained.runs.items():
        assert run.data_fingerprint == fingerprints[tenant]
    assert len({run.data_fingerprint for run in trained.runs.values()}) == len(trained.runs)


def test_config_hash_is_the_hash_of_the_tenants_effective_spec(trained: Trained) -> None:
    for tenant, run in trained.runs.items():
        assert run.config_hash == trained.spec.for_tenant(tenant).training_hash()
    assert trained.runs["3"].config_hash != trained.runs["1"].config_hash


def test_code_version_is_unknown_outside_a_git_work_tree(trained: Trained) -> None:
    for run in trained.runs.values():
        assert run.code_version is None


def test_fleet_run_is_recorded_as_succeeded_with_its_counts(trained: Trained) -> None:
    fleet_run = next(
        f for f in trained.client.fleet_runs("demo-retail") if f.id == trained.summary.fleet_run_id
    )
    statuses = [r.status for r in trained.runs.values()]

    assert trained.summary.status == fleet_run.status == "succeeded"
    assert (fleet_run.succeeded, fleet_run.rejected, fleet_run.failed, fleet_run.skipped) == (
        statuses.count("succeeded"),
        statuses.count("rejected"),
        0,
        0,
    )
    assert fleet_run.config_hash == trained.spec.config_hash()
    assert fleet_run.finished_at is not None


def _git(cwd: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip()


@pytest.fixture
def git_demo(demo: DemoData, edit_spec: Callable[..., None]) -> DemoData:
    """The demo fleet (one store, to be quick) committed to a fresh git repository."""
    edit_spec(demo.spec_path, lambda s: s["tenants"].update(include=["1"]))
    (demo.out_dir / "NOTES.txt").write_text("first\n", encoding="utf-8")
    try:
        _git(demo.out_dir, "init", "-q")
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"git is not usable here: {exc}")
    _git(demo.out_dir, "add", "-A")
    _git(demo.out_dir, "commit", "-q", "-m", "demo")
    return demo


def test_code_version_is_the_commit_of_the_spec_folder(git_demo: DemoData, client: Client) -> None:
    summary = client.train(git_demo.spec_path, "dev", executor=InlineExecutor())

    head = _git(git_demo.out_dir, "rev-parse", "HEAD")
    assert [r.code_version for r in summary.records] == [head]


def test_code_version_is_marked_dirty_when_a_tracked_file_changed(
    git_demo: DemoData, client: Client
) -> None:
    (git_demo.out_dir / "NOTES.txt").write_text("second\n", encoding="utf-8")

    summary = client.train(git_demo.spec_path, "dev", executor=InlineExecutor())

    head = _git(git_demo.out_dir, "rev-parse", "HEAD")
    assert [r.code_version for r in summary.records] == [f"{head}-dirty"]
