"""Routing on the real server: A/B shares and stickiness, canary fallback, shadow logging."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from modelfleet.config.serving_blocks import RoutingSpec, ServingSpec
from modelfleet.serving.app import create_app

from .conftest import Served


@pytest.fixture(scope="module")
def challenged(served: Served) -> tuple[str, str]:
    """Tenant with a challenger alias (on its dev version), and one without."""
    with_challenger, without = served.tenants[1], served.tenants[2]
    model = f"{served.fleet}/{with_challenger}"
    version = served.client.resolve(f"{model}@dev")
    served.client.set_alias(model, "challenger", str(version.version), reason="routing test")
    return with_challenger, without


def _app(served: Served, routing: RoutingSpec) -> Iterator[TestClient]:
    app = create_app(
        served.client.settings, "dev", serving={served.fleet: ServingSpec(routing=routing)}
    )
    with TestClient(app) as http:
        yield http


@pytest.fixture(scope="module")
def ab(served: Served) -> Iterator[TestClient]:
    yield from _app(served, RoutingSpec(mode="ab", share=0.3))


@pytest.fixture(scope="module")
def shadow(served: Served) -> Iterator[TestClient]:
    yield from _app(served, RoutingSpec(mode="shadow"))


def _records(served: Served, tenant: str, holdout_of: Any) -> list[dict[str, Any]]:
    version = served.client.resolve(f"{served.fleet}/{tenant}@dev")
    records: list[dict[str, Any]] = holdout_of(served.client, version).records[:2]
    return records


def _arm(http: TestClient, path: str, records: list[dict[str, Any]], key: str) -> str:
    answer = http.post(path, json={"records": records}, headers={"X-Routing-Key": key})
    assert answer.status_code == 200, answer.text
    arm: str = answer.json()["arm"]
    return arm


def test_an_ab_test_sends_its_share_of_keys_to_the_challenger(
    served: Served, ab: TestClient, challenged: tuple[str, str], path_of: Any, holdout_of: Any
) -> None:
    tenant = challenged[0]
    records = _records(served, tenant, holdout_of)
    path = path_of(served.fleet, tenant)

    arms = [_arm(ab, path, records, f"user-{n}") for n in range(400)]

    assert arms.count("challenger") / len(arms) == pytest.approx(0.3, abs=0.07)
    assert set(arms) == {"champion", "challenger"}


def test_the_same_routing_key_gets_the_same_arm_every_time(
    served: Served, ab: TestClient, challenged: tuple[str, str], path_of: Any, holdout_of: Any
) -> None:
    tenant = challenged[0]
    records = _records(served, tenant, holdout_of)
    path = path_of(served.fleet, tenant)

    first = [_arm(ab, path, records, f"sticky-{n}") for n in range(30)]
    again = [_arm(ab, path, records, f"sticky-{n}") for n in range(30)]

    assert first == again


def test_a_tenant_without_a_challenger_is_answered_by_its_champion_and_counted(
    served: Served, ab: TestClient, challenged: tuple[str, str], path_of: Any, holdout_of: Any
) -> None:
    tenant = challenged[1]
    records = _records(served, tenant, holdout_of)
    path = path_of(served.fleet, tenant)

    arms = {_arm(ab, path, records, f"user-{n}") for n in range(60)}

    assert arms == {"champion"}
    metrics = ab.get("/metrics").text
    assert f'modelfleet_routing_fallbacks_total{{fleet="{served.fleet}",tenant="{tenant}"}}' in (
        metrics
    )


def test_in_shadow_mode_the_champion_answers_and_the_challenger_is_only_logged(
    served: Served, shadow: TestClient, challenged: tuple[str, str], path_of: Any, holdout_of: Any
) -> None:
    tenant = challenged[0]
    records = _records(served, tenant, holdout_of)

    answer = shadow.post(
        path_of(served.fleet, tenant),
        json={"records": records},
        headers={"X-Request-ID": "shadowed-1"},
    ).json()

    assert answer["arm"] == "champion"
    deadline = time.monotonic() + 10
    arms: list[str] = []
    while time.monotonic() < deadline:
        rows = served.client_store.list_predictions(served.fleet, tenant, limit=10_000)
        arms = sorted(r.arm for r in rows if r.request_id == "shadowed-1")
        if len(arms) == 2 * len(records):
            break
        time.sleep(0.05)
    assert arms == ["champion"] * len(records) + ["shadow"] * len(records)


def test_traffic_set_at_run_time_is_served_within_two_seconds_and_cleared_again(
    served: Served, challenged: tuple[str, str], path_of: Any, holdout_of: Any
) -> None:
    tenant = challenged[0]
    model = f"{served.fleet}/{tenant}"
    records = _records(served, tenant, holdout_of)
    path = path_of(served.fleet, tenant)
    app = create_app(served.client.settings, "dev", fleets=[served.fleet])
    with TestClient(app) as http:
        assert _arm(http, path, records, "k-0") == "champion"  # the spec: champion only

        served.client.set_traffic(model, "dev", mode="canary", share=1.0, reason="all in")
        time.sleep(1.2)  # the server's one-second refresh
        during = {_arm(http, path, records, f"k-{n}") for n in range(20)}

        served.client.clear_traffic(model, "dev", reason="done")
        time.sleep(1.2)
        after = {_arm(http, path, records, f"k-{n}") for n in range(20)}

    assert (during, after) == ({"challenger"}, {"champion"})
