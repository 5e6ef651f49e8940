"""Registering runs as versions: numbering, idempotency, refusals, metadata changes."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from modelfleet.errors import PromotionError, UsageError
from modelfleet.registry import Registry, SemVer
from modelfleet.tracking import ArtifactRecord, TenantRunRecord

from .conftest import (
    MODEL_SIGNATURE,
    SIGNATURE,
    WIDER,
    Add,
    MakeRun,
    holdout_rows,
    trained_run,
)

NS = ("north", "south")


def _artifact(run: TenantRunRecord, name: str) -> ArtifactRecord:
    return next(artifact for artifact in run.artifacts if artifact.name == name)


def test_the_first_version_of_a_model_is_1_0_0_and_a_candidate(add: Add) -> None:
    version = add("s1", wmape=0.2, baseline=0.3)

    assert (version.model, version.fleet, version.tenant) == ("demand/s1", "demand", "s1")
    assert version.version == SemVer(1, 0, 0)
    assert version.status == "candidate"
    assert version.metrics["wmape"] == 0.2
    assert version.baseline_metrics["wmape"] == 0.3
    assert version.aliases == ()
    assert version.signature == SIGNATURE


def test_a_version_carries_lineage_and_the_model_artifact(
    registry: Registry, make_run: MakeRun
) -> None:
    run = make_run("s1")

    version = registry.register(run, SIGNATURE, caller="alice", description="weekly retrain")

    model = run.artifacts[0]
    assert (version.model_digest, version.model_uri) == (model.digest, model.uri)
    assert (version.run_id, version.family) == (run.run_id, "lightgbm")
    assert (version.data_fingerprint, version.config_hash, version.code_version) == (
        "data-1",
        "cfg-1",
        "abc123",
    )
    assert (version.created_by, version.description) == ("alice", "weekly retrain")


def test_a_retrain_on_the_same_signature_is_the_next_minor(add: Add) -> None:
    add("s1")

    assert add("s1").version == SemVer(1, 1, 0)
    assert add("s1").version == SemVer(1, 2, 0)


def test_a_changed_signature_is_the_next_major(add: Add) -> None:
    add("s1")
    add("s1")

    assert add("s1", signature=WIDER).version == SemVer(2, 0, 0)
    assert add("s1", signature=WIDER).version == SemVer(2, 1, 0)


def test_tenants_are_numbered_independently(add: Add) -> None:
    add("s1")
    add("s1")

    assert add("s2").version == SemVer(1, 0, 0)


def test_registering_the_same_run_again_returns_its_version(
    registry: Registry, make_run: MakeRun
) -> None:
    run = make_run("s1")
    first = registry.register(run, SIGNATURE, caller="a")

    again = registry.register(run, SIGNATURE, caller="b")

    assert again == first
    assert len(registry.versions("demand/s1")) == 1


@pytest.mark.parametrize("status", ["rejected", "failed"])
def test_only_succeeded_runs_can_be_registered(
    registry: Registry, make_run: MakeRun, status: str
) -> None:
    run = make_run("s1", status=status, reason="wmape 0.4 vs baseline 0.3: 33% worse")

    with pytest.raises(PromotionError, match=f"is {status} .*33% worse.*only succeeded runs"):
        registry.register(run, SIGNATURE, caller="a")


def test_a_run_without_a_model_artifact_is_refused(registry: Registry, make_run: MakeRun) -> None:
    with pytest.raises(PromotionError, match="no 'model' artifact"):
        registry.register(make_run("s1", artifacts=()), SIGNATURE, caller="a")


def test_every_write_needs_a_caller(registry: Registry, make_run: MakeRun) -> None:
    with pytest.raises(UsageError, match="caller"):
        registry.register(make_run("s1"), SIGNATURE, caller=" ")


def test_tags_always_name_fleet_and_tenant(registry: Registry, make_run: MakeRun) -> None:
    version = registry.register(
        make_run("s1"), SIGNATURE, caller="a", tags={"customer": "acme", "tenant": "spoofed"}
    )

    assert version.tags == {"customer": "acme", "fleet": "demand", "tenant": "s1"}


def test_register_many_writes_all_runs_or_none(registry: Registry, make_run: MakeRun) -> None:
    good = [(make_run(f"s{i}"), SIGNATURE) for i in range(3)]
    bad = (make_run("s9", status="failed"), SIGNATURE)

    with pytest.raises(PromotionError):
        registry.register_many([*good, bad], caller="a")
    assert registry.search(fleet="demand") == []

    versions = registry.register_many([*good, (make_run("s0"), SIGNATURE)], caller="a")
    assert [str(v.ref) for v in versions] == [
        "demand/s0:1.0.0",
        "demand/s1:1.0.0",
        "demand/s2:1.0.0",
        "demand/s0:1.1.0",
    ]


def test_without_a_signature_argument_the_runs_own_is_used_and_nothing_is_read(
    registry: Registry, tmp_path: Path
) -> None:
    run = trained_run(tmp_path / "artifacts", "s1", slope=2.0, vocab=NS, holdout=holdout_rows())
    shutil.rmtree(tmp_path / "artifacts")  # any artifact read would now fail

    version = registry.register(run, caller="a")

    assert version.signature == run.signature == MODEL_SIGNATURE
    assert version.meta_digest == _artifact(run, "model_meta").digest


def test_an_explicit_signature_wins_over_the_runs_own(
    registry: Registry, make_run: MakeRun
) -> None:
    run = make_run("s1", signature=MODEL_SIGNATURE)

    version = registry.register(run, SIGNATURE, caller="a")

    assert version.signature == SIGNATURE


def test_a_run_recorded_before_signatures_falls_back_to_its_package_metadata(
    registry: Registry, tmp_path: Path
) -> None:
    run = trained_run(tmp_path, "s1", slope=2.0, vocab=NS, holdout=holdout_rows(), legacy_meta=True)
    assert run.signature is None

    version = registry.register(run, caller="a")

    assert version.signature == MODEL_SIGNATURE


def test_a_run_without_signature_or_model_meta_is_refused_naming_both(
    registry: Registry, make_run: MakeRun
) -> None:
    with pytest.raises(UsageError, match=r"records no signature.*no model_meta artifact"):
        registry.register(make_run("s1"), caller="a")


def test_a_metadata_change_is_a_new_patch_version_on_the_same_artifacts(
    registry: Registry, add: Add
) -> None:
    original = add("s1", tags={"owner": "bob"})

    patched = registry.update_metadata(
        "demand/s1:1.0.0", caller="carol", tags={"owner": "dan"}, description="handed over"
    )

    assert patched.version == SemVer(1, 0, 1)
    assert patched.tags["owner"] == "dan"
    assert patched.description == "handed over"
    assert (patched.model_digest, patched.run_id) == (original.model_digest, original.run_id)
    assert registry.resolve("demand/s1:1.0.0") == original  # versions never change


def test_metadata_changes_keep_bumping_patch(registry: Registry, add: Add) -> None:
    add("s1")
    registry.update_metadata("demand/s1", caller="a", tags={"k": "1"})

    third = registry.update_metadata("demand/s1:1.0.0", caller="a", tags={"k": "2"})

    assert third.version == SemVer(1, 0, 2)


def test_a_metadata_change_that_changes_nothing_is_refused(registry: Registry, add: Add) -> None:
    add("s1", tags={"owner": "bob"})

    with pytest.raises(UsageError, match="already has these tags"):
        registry.update_metadata("demand/s1:1.0.0", caller="a", tags={"owner": "bob"})


def test_version_numbers_are_never_reused_after_a_deletion(registry: Registry, add: Add) -> None:
    add("s1")
    add("s1")
    registry.delete_version("demand/s1", "1.1.0", caller="a")

    assert add("s1").version == SemVer(1, 2, 0)


def test_a_retrain_after_a_deletion_still_compares_with_the_last_signature(
    registry: Registry, add: Add
) -> None:
    add("s1", signature=WIDER)
    registry.delete_version("demand/s1", "1.0.0", caller="a")

    assert add("s1", signature=WIDER).version == SemVer(1, 1, 0)


def test_records_read_back_equal(registry: Registry, make_run: MakeRun) -> None:
    run: TenantRunRecord = make_run("s1")
    registered = registry.register(run, SIGNATURE, caller="a")

    assert registry.resolve("demand/s1:1.0.0") == registered
    assert replace(registered, status="candidate") == registered
