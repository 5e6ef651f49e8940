"""Scenario: a new prod version that does worse live than its holdout is rolled back, once."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from tests.integration.monitoring.autopilot.conftest import Fleet, FleetFactory, days_before

from modelfleet.pipeline.executors import InlineExecutor

pytestmark = pytest.mark.slow

TENANT = "1"


def with_new_prod_version(fleet: Fleet) -> tuple[str, str]:
    """Retrain tenant 1 by hand and promote the new version all the way: (old, new)."""
    old = fleet.live(TENANT)
    fleet.new_data_for((TENANT,))
    summary = fleet.client.train(
        fleet.spec_path, "dev", tenants=[TENANT], executor=InlineExecutor()
    )
    new = summary.versions[TENANT]
    for env in ("dev", "staging", "prod"):
        assert fleet.client.promote(fleet.model(TENANT), env, spec=fleet.spec_path).moved
    return old, new


def serve_badly(fleet: Fleet, version: str, error: float, days: int = 20) -> None:
    when = days_before(datetime.now(UTC), days)
    actual = np.random.default_rng(3).uniform(1000, 2000, days)
    fleet.serve(TENANT, version, "champion", when, actual * (1 + error))
    fleet.send_actuals([(TENANT, d, float(a)) for d, a in zip(when, actual, strict=True)])


def test_a_degraded_new_version_is_rolled_back_to_the_one_before(make_fleet: FleetFactory) -> None:
    fleet = make_fleet(stores=4)
    old, new = with_new_prod_version(fleet)
    serve_badly(fleet, new, error=0.6)

    result = fleet.autopilot()

    step = next(s for s in result.steps if s.tenant == TENANT)
    assert (step.kind, step.version, step.status) == ("rollback", new, "done")
    assert f"rolling back to {old}" in step.reason
    assert step.figures["live_wmape"] == pytest.approx(0.6, rel=0.01)
    assert fleet.live(TENANT) == old
    events = fleet.client.history(fleet.model(TENANT), limit=5)
    rolled = [e for e in events if e.kind == "rolled_back"]
    assert [(e.alias, str(e.to_version)) for e in rolled] == [("prod", old)]
    assert rolled[0].reason.startswith("autopilot: ")


def test_a_rolled_back_version_is_not_rolled_back_again_nor_its_predecessor(
    make_fleet: FleetFactory,
) -> None:
    fleet = make_fleet(stores=4)
    old, new = with_new_prod_version(fleet)
    serve_badly(fleet, new, error=0.6)
    fleet.autopilot()

    again = fleet.autopilot()

    assert [s.kind for s in again.steps if s.tenant == TENANT and s.kind == "rollback"] == []
    assert fleet.live(TENANT) == old


def test_a_new_version_doing_as_well_as_its_holdout_stays(make_fleet: FleetFactory) -> None:
    fleet = make_fleet(stores=4)
    _, new = with_new_prod_version(fleet)
    holdout = fleet.client.resolve(f"{fleet.model(TENANT)}:{new}").metrics["wmape"]
    serve_badly(fleet, new, error=holdout * 0.9)

    result = fleet.autopilot()

    assert [s for s in result.steps if s.tenant == TENANT] == []
    assert fleet.live(TENANT) == new


def test_with_rollback_approval_the_rollback_waits_for_a_person(make_fleet: FleetFactory) -> None:
    fleet = make_fleet(stores=4, autopilot={"approval": ["rollback"]})
    _, new = with_new_prod_version(fleet)
    serve_badly(fleet, new, error=0.6)

    asked = fleet.autopilot()
    pending = fleet.client.autopilot_actions(fleet=fleet.fleet, status="pending")

    assert [(s.kind, s.status) for s in asked.steps if s.tenant == TENANT] == [
        ("rollback", "pending")
    ]
    assert fleet.live(TENANT) == new
    fleet.client.reject_action(pending[0].id, reason="a known data outage, not the model")
    later = fleet.autopilot()
    held = next(s for s in later.steps if s.tenant == TENANT)
    assert held.status == "held" and "rejected by" in held.reason
    assert fleet.live(TENANT) == new


def test_a_rollback_is_told_to_the_alert_sinks_with_its_figures(make_fleet: FleetFactory) -> None:
    import json

    fleet = make_fleet(stores=4, sinks=[{"kind": "file", "path": "events.jsonl"}])
    _, new = with_new_prod_version(fleet)
    serve_badly(fleet, new, error=0.6)

    fleet.autopilot()

    lines = (fleet.demo.out_dir / "events.jsonl").read_text().splitlines()
    told = [json.loads(line) for line in lines if json.loads(line)["event"] == "autopilot"]
    assert [(e["tenant"], e["kind"], e["version"]) for e in told] == [(TENANT, "rollback", new)]
    assert told[0]["message"].startswith("done: ") and told[0]["figures"]["live_wmape"] > 0.5
