"""The control plane on a real uvicorn server over a really trained demo fleet.

Trains the five-store demo fleet once (inline), serves its home, and drives the registry through
a Client over real HTTP: registration reads each run's real model metadata, promotion
applies the demo spec's policy, and cards list the real features.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.unit.api.live import serve

from modelfleet.api.app import create_app
from modelfleet.client import Client, LocalPlane
from modelfleet.config.settings import Settings
from modelfleet.data.demo import generate_demo_data
from modelfleet.pipeline.executors import InlineExecutor
from modelfleet.tracking.records import TenantRunRecord


@dataclass(frozen=True)
class Live:
    url: str
    spec_path: Path
    settings: Settings
    runs: list[TenantRunRecord]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A trained demo home served on 127.0.0.1 (runs registered by the tests themselves)."""
    root = tmp_path_factory.mktemp("live")
    demo = generate_demo_data(root / "demo", stores=5, days=200)
    settings = Settings.for_home(root / "home")
    with Client(LocalPlane(settings)) as client:
        client.train(demo.spec_path, "dev", executor=InlineExecutor())
        runs = client.runs()
    app = create_app(settings, [demo.spec_path], server_user="server-user")
    with serve(app) as url:
        yield Live(url, demo.spec_path, settings, runs)


@pytest.fixture
def remote(live: Live) -> Iterator[Client]:
    """A Client on the live server."""
    with Client.over_http(live.url) as client:
        yield client


def _succeeded(live: Live) -> list[TenantRunRecord]:
    return [r for r in live.runs if r.status == "succeeded"]


def test_info_over_http_names_the_served_fleets(remote: Client) -> None:
    info = remote.info()

    assert (info.kind, info.store, info.fleets) == ("http", "sqlite", ("demo-retail",))


def test_runs_over_http_equal_the_local_records(remote: Client, live: Live) -> None:
    assert remote.runs() == live.runs


def test_training_registered_each_success_and_registering_again_is_idempotent(
    remote: Client, live: Live
) -> None:
    run = _succeeded(live)[0]

    first = remote.register(run.run_id, tags={"owner": "team-a"})
    again = remote.register(run)

    assert first == again
    assert first.run_id == run.run_id
    assert str(first.version) == "1.0.0"  # registered by train, not by this call
    assert "lag_28" in first.signature.input_names
    assert "owner" not in first.tags  # an existing version is returned, not re-tagged


def test_fleet_promotion_under_the_demo_policy(remote: Client, live: Live) -> None:
    for run in _succeeded(live):
        remote.register(run)

    batch = remote.promote_fleet("demo-retail", "dev", reason="first release")

    assert {o.model for o in batch.moved} == {f"demo-retail/{r.tenant}" for r in _succeeded(live)}
    with Client(LocalPlane(live.settings)) as local:
        assert local.search(environment="dev") == remote.search(environment="dev")


def test_card_over_http_lists_the_real_features(remote: Client, live: Live) -> None:
    run = _succeeded(live)[0]
    remote.register(run)

    card = remote.card(f"demo-retail/{run.tenant}", fmt="html")

    assert "<td>lag_28</td>" in card
    assert "Daily sales forecasts" in card  # the demo spec's description, served by the server


def test_parallel_requests_are_all_answered(remote: Client, live: Live) -> None:
    from concurrent.futures import ThreadPoolExecutor

    for run in _succeeded(live):
        remote.register(run)
    tenants = [r.tenant for r in _succeeded(live)]

    def work(i: int) -> int:
        with Client.over_http(live.url) as client:
            tenant = tenants[i % len(tenants)]
            client.set_alias(f"demo-retail/{tenant}", "champion", "1.0.0")
            client.search(fleet="demo-retail", metrics=["wmape<10"])
            return len(client.history(f"demo-retail/{tenant}"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(work, range(32)))

    assert all(count >= 1 for count in counts)
    for tenant in tenants:
        assert str(remote.resolve(f"demo-retail/{tenant}@champion").version) == "1.0.0"
