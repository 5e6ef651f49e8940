"""The plan stage: a value saying which tenants train, skip or fail, built without training."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from pathlib import Path

import pyarrow as pa
import pytest

from modelfleet.config.spec import FleetSpec, parse_spec
from modelfleet.data.canonical import Finding, FleetData
from modelfleet.errors import UsageError
from modelfleet.pipeline.plan import FleetPlan, TenantPlan, plan_fleet, task_key

TENANTS = ("s1", "s2", "s3")


def _spec(base_dir: Path) -> FleetSpec:
    return parse_spec(
        {
            "name": "plan-fleet",
            "schema": {
                "tenant_key": "store",
                "timestamp": "date",
                "target": "sales",
                "frequency": "D",
            },
            "sources": [{"name": "sales", "path": "sales.csv"}],
            "model": {"family": "lightgbm", "params": {"n_estimators": 10}},
            "tenants": {"overrides": {"s2": {"model": {"params": {"num_leaves": 7}}}}},
        },
        environment=None,
        base_dir=base_dir,
        file_label=str(base_dir / "fleet.yaml"),
    )


def _finding(tenant: str | None, check: str = "duplicates") -> Finding:
    return Finding(tenant, check, "error", "date", 3, f"{check} of {tenant}")


@pytest.fixture
def spec(tmp_path: Path) -> FleetSpec:
    return _spec(tmp_path)


@pytest.fixture
def data() -> FleetData:
    """Three usable tenants, one ("bad") whose data failed, and a fleet-level finding."""
    return FleetData(
        table=pa.table({"_tenant": pa.array([], pa.string())}),
        frequency="D",
        findings=(_finding("bad"), _finding(None, "source"), _finding("s1", "nulls")),
        failed={"bad": "3 duplicate rows"},
        fingerprints={t: f"fp-{t}" for t in (*TENANTS, "bad")},
        tenants=TENANTS,
    )


def _none_done(keys: Collection[str]) -> set[str]:
    return set()


def _tenants(plans: tuple[TenantPlan, ...]) -> list[str]:
    return [t.tenant for t in plans]


def _done_for(spec: FleetSpec, data: FleetData, *tenants: str) -> set[str]:
    plan = plan_fleet(spec, data, _none_done)
    return {t.task_key for t in plan.train if t.tenant in tenants}


def test_plan_trains_every_usable_tenant_when_nothing_is_done(
    spec: FleetSpec, data: FleetData
) -> None:
    plan = plan_fleet(spec, data, _none_done)

    assert _tenants(plan.train) == list(TENANTS)
    assert plan.skipped == ()


def test_plan_skips_tenants_whose_task_key_is_done(spec: FleetSpec, data: FleetData) -> None:
    done = _done_for(spec, data, "s1", "s3")

    plan = plan_fleet(spec, data, lambda keys: done & set(keys))

    assert _tenants(plan.train) == ["s2"]
    assert _tenants(plan.skipped) == ["s1", "s3"]


def test_force_plans_every_tenant_without_asking_what_is_done(
    spec: FleetSpec, data: FleetData
) -> None:
    def must_not_be_asked(keys: Collection[str]) -> set[str]:
        raise AssertionError("force must not look up finished task keys")

    plan = plan_fleet(spec, data, must_not_be_asked, force=True)

    assert _tenants(plan.train) == list(TENANTS)
    assert plan.skipped == ()


def test_tenants_whose_data_failed_are_planned_as_failed_with_reason_and_findings(
    spec: FleetSpec, data: FleetData
) -> None:
    (failed,) = plan_fleet(spec, data, _none_done).failed

    assert (failed.tenant, failed.reason) == ("bad", "3 duplicate rows")
    assert [f.check for f in failed.findings] == ["duplicates"]
    identity = "fp-bad|failed:3 duplicate rows"  # the reason is part of a failure's identity
    assert failed.task_key == task_key(spec, "bad", failed.training_hash, identity)


def test_a_failure_already_on_record_is_still_failing_not_failed_again(
    spec: FleetSpec, data: FleetData
) -> None:
    (failed,) = plan_fleet(spec, data, _none_done).failed

    plan = plan_fleet(spec, data, _none_done, failed_before=lambda keys: {failed.task_key})

    assert (plan.failed, _tenants(plan.still_failing)) == ((), ["bad"])


def test_force_records_a_known_failure_again(spec: FleetSpec, data: FleetData) -> None:
    plan = plan_fleet(spec, data, _none_done, force=True, failed_before=lambda keys: set(keys))

    assert _tenants(plan.failed) == ["bad"]


def test_invalid_tenant_ids_in_the_data_count_for_a_whole_fleet_run_only(
    spec: FleetSpec, data: FleetData
) -> None:
    bad_ids = Finding(None, "tenant_id", "error", "store", 2, "2 tenant id(s) are not valid")
    data = dataclasses.replace(data, findings=(*data.findings, bad_ids))

    assert plan_fleet(spec, data, _none_done).invalid_ids == 2
    assert plan_fleet(spec, data, _none_done, tenants=["s1"]).invalid_ids == 0


def test_plan_gives_each_tenant_its_override_spec_and_training_hash(
    spec: FleetSpec, data: FleetData
) -> None:
    plan = plan_fleet(spec, data, _none_done)
    by_tenant = {t.tenant: t for t in plan.train}

    assert by_tenant["s2"].spec.model.params["num_leaves"] == 7
    assert by_tenant["s2"].training_hash == spec.for_tenant("s2").training_hash()
    assert by_tenant["s1"].training_hash == spec.training_hash()
    assert by_tenant["s1"].task_key == task_key(spec, "s1", spec.training_hash(), "fp-s1")


def test_plan_keeps_tenant_findings_on_the_tenant_and_fleet_findings_apart(
    spec: FleetSpec, data: FleetData
) -> None:
    plan = plan_fleet(spec, data, _none_done)

    assert [f.check for f in plan.train[0].findings] == ["nulls"]
    assert [f.check for f in plan.fleet_findings] == ["source"]


def test_selection_plans_only_the_named_tenants_in_data_order(
    spec: FleetSpec, data: FleetData
) -> None:
    plan = plan_fleet(spec, data, _none_done, tenants=["s3", "s1", "s3"])

    assert _tenants(plan.train) == ["s1", "s3"]
    assert plan.failed == ()
    assert plan.selection == ("s3", "s1")


def test_selection_skips_only_selected_tenants_that_are_done(
    spec: FleetSpec, data: FleetData
) -> None:
    done = _done_for(spec, data, "s1", "s2")

    plan = plan_fleet(spec, data, lambda keys: done & set(keys), tenants=["s2", "s3"])

    assert (_tenants(plan.train), _tenants(plan.skipped)) == (["s3"], ["s2"])


def test_selected_tenant_whose_data_failed_is_planned_as_failed(
    spec: FleetSpec, data: FleetData
) -> None:
    plan = plan_fleet(spec, data, _none_done, tenants=["bad", "s2"])

    assert (_tenants(plan.train), _tenants(plan.failed)) == (["s2"], ["bad"])
    assert plan.recorded == 2


def test_unknown_tenant_in_the_selection_is_a_usage_error_naming_it_and_known_ones(
    spec: FleetSpec, data: FleetData
) -> None:
    with pytest.raises(UsageError, match="'s9'") as raised:
        plan_fleet(spec, data, _none_done, tenants=["s1", "s9"])

    assert "known tenants: bad, s1, s2, s3" in str(raised.value)
    assert "'s1'" not in str(raised.value)


def test_empty_selection_is_a_usage_error(spec: FleetSpec, data: FleetData) -> None:
    with pytest.raises(UsageError, match="empty"):
        plan_fleet(spec, data, _none_done, tenants=[])


def test_a_lone_tenant_id_string_selects_that_tenant(spec: FleetSpec, data: FleetData) -> None:
    plan = plan_fleet(spec, data, _none_done, tenants="s2")

    assert _tenants(plan.train) == ["s2"]


def test_plan_is_a_frozen_value(spec: FleetSpec, data: FleetData) -> None:
    plan: FleetPlan = plan_fleet(spec, data, _none_done)

    with pytest.raises(AttributeError):
        plan.train = ()  # type: ignore[misc]
