"""Scenario: covariate shift injected into some tenants is found, and those tenants alone are
retrained, promoted through the gates and rolled out as canaries; the rest are left alone."""

from __future__ import annotations

import pytest
from tests.integration.monitoring.autopilot.conftest import FleetFactory

pytestmark = pytest.mark.slow

SHIFTED = ("2", "4")  # stores 5 and 6 come from partner files, not sales.csv


def test_only_the_shifted_tenants_are_retrained_and_rolled_out(make_fleet: FleetFactory) -> None:
    fleet = make_fleet(stores=6)
    fleet.serve_live_inputs(shift=SHIFTED)
    fleet.new_data_for(SHIFTED)

    result = fleet.autopilot()

    assert result.drifted == SHIFTED
    retrained = {s.tenant: s for s in result.steps if s.kind == "retrain"}
    assert set(retrained) == set(SHIFTED)
    assert all(s.status == "done" and "drifted" in s.reason for s in retrained.values())
    run = fleet.client.fleet_runs(fleet.fleet, limit=1)[0]
    trained = {r.tenant for r in fleet.client.runs(fleet=fleet.fleet) if r.fleet_run_id == run.id}
    assert (run.trigger, trained) == ("drift", set(SHIFTED))
    for tenant in SHIFTED:
        steps = [(s.kind, s.target, s.status) for s in result.steps if s.tenant == tenant]
        assert steps == [
            ("retrain", None, "done"),
            ("promote", "dev", "done"),
            ("promote", "staging", "done"),
            ("rollout", "prod", "done"),
        ]
        candidate = retrained[tenant].figures["candidate"]
        assert fleet.live(tenant, "challenger") == candidate
        assert fleet.live(tenant) == fleet.versions[tenant]  # prod is unchanged until a verdict
        traffic = fleet.client.traffic(fleet.model(tenant), "prod")
        assert traffic is not None and traffic.routing.mode == "canary"
    untouched = {s.tenant for s in result.steps} - set(SHIFTED)
    assert untouched == set()


def test_a_dry_run_plans_the_same_retrains_and_changes_nothing(make_fleet: FleetFactory) -> None:
    fleet = make_fleet(stores=4)
    fleet.serve_live_inputs(shift=("2",))

    plan = fleet.autopilot(dry_run=True)

    assert [(s.tenant, s.kind, s.status) for s in plan.steps] == [("2", "retrain", "planned")]
    assert fleet.client.autopilot_actions(fleet=fleet.fleet) == []
    assert fleet.client.alerts(fleet=fleet.fleet, state=None) == []  # no check was recorded
    assert len(fleet.client.fleet_runs(fleet.fleet)) == 1  # only the first training


def test_a_second_pass_right_after_holds_the_rollout_and_retrains_nothing(
    make_fleet: FleetFactory,
) -> None:
    fleet = make_fleet(stores=4)
    fleet.serve_live_inputs(shift=("2",))
    fleet.new_data_for(("2",))
    fleet.autopilot()

    again = fleet.autopilot()

    assert [(s.tenant, s.kind, s.status) for s in again.steps] == [("2", "hold", "held")]
    assert "rollout running" in again.steps[0].reason
    assert len(fleet.client.fleet_runs(fleet.fleet)) == 2


def test_a_tenant_whose_retraining_fails_does_not_stop_the_others(
    make_fleet: FleetFactory,
) -> None:
    import csv

    fleet = make_fleet(stores=4)
    fleet.serve_live_inputs(shift=("1", "2"))
    fleet.new_data_for(("1", "2"))
    rows = list(csv.DictReader(fleet.demo.sales_path.open(newline="")))
    for row in rows:
        if row["store_id"] == "1":
            row["sales"] = "-5"  # the spec's range check refuses negative sales
    with fleet.demo.sales_path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    result = fleet.autopilot()

    by_tenant = {(s.tenant, s.kind): s for s in result.steps}
    failed = by_tenant[("1", "retrain")]
    assert failed.status == "failed" and "sales" in failed.reason
    assert by_tenant[("2", "rollout")].status == "done"
    assert result.count("failed") == 1
    assert fleet.live("1") == fleet.versions["1"]
