"""Scenario: a canary of a better model is promoted, one of a worse model is stopped, and a
rollout waiting for a person's approval goes ahead once approved."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from tests.integration.monitoring.autopilot.conftest import Fleet, FleetFactory, days_before

pytestmark = pytest.mark.slow

BETTER, WORSE = "1", "2"
PAIRS = 25


def rolled_out(make_fleet: FleetFactory, **options: object) -> Fleet:
    """A fleet whose tenants 1 and 2 drifted, were retrained and now run as canaries."""
    autopilot = {"rollout": {"min_pairs": 20}, **options.pop("autopilot", {})}  # type: ignore[dict-item]
    fleet = make_fleet(stores=4, autopilot=autopilot, **options)
    fleet.serve_live_inputs(shift=(BETTER, WORSE))
    fleet.new_data_for((BETTER, WORSE))
    first = fleet.autopilot()
    assert {(s.tenant, s.kind, s.status) for s in first.steps if s.kind == "rollout"} == {
        (BETTER, "rollout", "done"),
        (WORSE, "rollout", "done"),
    }
    return fleet


def serve_outcomes(fleet: Fleet, tenant: str, champion_error: float, challenger_error: float):
    """Both versions forecast the same PAIRS days, actuals arrive; errors are relative."""
    days = days_before(datetime.now(UTC), PAIRS)
    rng = np.random.default_rng(int(tenant))
    actual = rng.uniform(1000, 2000, PAIRS)
    champion = fleet.live(tenant)
    challenger = fleet.live(tenant, "challenger")
    noise = rng.uniform(0.5, 1.5, PAIRS)
    fleet.serve(tenant, champion, "champion", days, actual * (1 + champion_error * noise))
    fleet.serve(tenant, challenger, "challenger", days, actual * (1 + challenger_error * noise))
    fleet.send_actuals([(tenant, d, float(a)) for d, a in zip(days, actual, strict=True)], tenant)
    return champion, challenger


def test_a_better_canary_is_promoted_and_a_worse_one_is_stopped(make_fleet: FleetFactory) -> None:
    fleet = rolled_out(make_fleet)
    _old_better, new_better = serve_outcomes(fleet, BETTER, 0.30, 0.02)
    old_worse, _new_worse = serve_outcomes(fleet, WORSE, 0.02, 0.30)

    verdicts = fleet.autopilot()

    steps = {s.tenant: s for s in verdicts.steps}
    assert (steps[BETTER].kind, steps[BETTER].status) == ("conclude", "done")
    assert steps[BETTER].figures["outcome"] == "better"
    assert steps[BETTER].figures["pairs"] == PAIRS
    assert (steps[WORSE].kind, steps[WORSE].status) == ("stop", "done")
    assert "worse" in steps[WORSE].reason
    assert fleet.live(BETTER) == new_better
    assert fleet.live(WORSE) == old_worse
    for tenant in (BETTER, WORSE):
        assert fleet.client.traffic(fleet.model(tenant), "prod") is None
        assert "challenger" not in {
            a for v in fleet.client.versions(fleet.model(tenant)) for a in v.aliases
        }


def test_a_stopped_candidate_is_not_rolled_out_again(make_fleet: FleetFactory) -> None:
    fleet = rolled_out(make_fleet)
    serve_outcomes(fleet, WORSE, 0.02, 0.30)
    fleet.autopilot()

    later = fleet.autopilot()

    assert [s.kind for s in later.steps if s.tenant == WORSE] in ([], ["hold"])


def test_a_rollout_concluding_into_a_prod_that_needs_approval_waits_then_goes_ahead(
    make_fleet: FleetFactory,
) -> None:
    fleet = rolled_out(make_fleet, prod_step={"approval": True})
    _, new = serve_outcomes(fleet, BETTER, 0.30, 0.02)

    asked = fleet.autopilot()
    waiting = [s for s in asked.steps if s.tenant == BETTER]
    pending = fleet.client.autopilot_actions(fleet=fleet.fleet, status="pending")

    assert [(s.kind, s.status) for s in waiting] == [("conclude", "pending")]
    assert [(a.tenant, a.kind, a.version) for a in pending] == [(BETTER, "conclude", new)]
    assert fleet.live(BETTER) != new
    held = fleet.autopilot()
    assert "waits for approval" in next(s.reason for s in held.steps if s.tenant == BETTER)

    fleet.client.approve_action(pending[0].id, reason="numbers look right")
    done = fleet.autopilot()

    assert [(s.kind, s.status) for s in done.steps if s.tenant == BETTER] == [("conclude", "done")]
    assert fleet.live(BETTER) == new


def test_a_better_canary_refused_by_the_prod_gate_is_stopped_and_its_traffic_cleared(
    make_fleet: FleetFactory,
) -> None:
    import yaml

    fleet = rolled_out(make_fleet)
    spec = yaml.safe_load(fleet.spec_path.read_text())
    spec["promotion"]["steps"]["prod"] = {"min_improvement": 0.99}  # no model beats that
    fleet.spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    old, _ = serve_outcomes(fleet, BETTER, 0.30, 0.02)

    refused = fleet.autopilot()
    cleanup = fleet.autopilot()

    assert [(s.kind, s.status) for s in refused.steps if s.tenant == BETTER] == [
        ("conclude", "failed")
    ]
    stop = next(s for s in cleanup.steps if s.tenant == BETTER)
    assert (stop.kind, stop.status) == ("stop", "done") and "was failed" in stop.reason
    assert fleet.live(BETTER) == old
    assert fleet.client.traffic(fleet.model(BETTER), "prod") is None
