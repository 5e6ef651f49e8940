"""Run-time traffic settings in the registry: one per tenant and environment, each an event."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import modelfleet
from modelfleet.client import Client
from modelfleet.data.demo import generate_demo_data
from modelfleet.errors import NotFoundError, UsageError
from modelfleet.pipeline.executors import InlineExecutor

MODEL = "demo-retail/1"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    root = tmp_path_factory.mktemp("traffic")
    demo = generate_demo_data(root / "demo", stores=3, days=120, seed=0)
    with modelfleet.connect(home=str(root / "home"), environ={}) as opened:
        opened.train(demo.spec_path, "dev", tenants=["1"], executor=InlineExecutor())
        yield opened


def test_a_setting_is_read_back_with_who_and_why(client: Client) -> None:
    client.set_traffic(MODEL, "prod", mode="ab", share=0.3, reason="try 1.1")

    setting = client.traffic(MODEL, "prod")

    assert setting is not None
    assert (setting.routing.mode, setting.routing.challenger_share) == ("ab", 0.3)
    assert setting.reason == "try 1.1" and setting.actor


def test_setting_again_replaces_the_setting(client: Client) -> None:
    client.set_traffic(MODEL, "staging", mode="ab", share=0.3)
    client.set_traffic(MODEL, "staging", mode="shadow")

    setting = client.traffic(MODEL, "staging")

    assert setting is not None and setting.routing.mode == "shadow"


def test_each_change_is_an_event_in_the_models_history(client: Client) -> None:
    client.set_traffic(MODEL, "dev", mode="canary", share=0.05, reason="careful")
    client.clear_traffic(MODEL, "dev", reason="looks fine")

    kinds = [(e.kind, e.alias) for e in client.history(MODEL)[:2]]
    latest = client.history(MODEL)[1]

    assert kinds == [("traffic_cleared", "dev"), ("traffic_set", "dev")]
    assert "canary: 5.0% to challenger" in latest.reason and "careful" in latest.reason


def test_no_setting_reads_as_none(client: Client) -> None:
    assert client.traffic(MODEL, "qa") is None


def test_clearing_a_setting_that_does_not_exist_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError, match="traffic setting"):
        client.clear_traffic(MODEL, "qa")


def test_a_model_never_registered_cannot_get_traffic(client: Client) -> None:
    with pytest.raises(NotFoundError):
        client.set_traffic("demo-retail/99", "prod", mode="ab")


@pytest.mark.parametrize(
    ("mode", "share", "challenger"),
    [("blue-green", None, "challenger"), ("ab", 1.5, "challenger"), ("ab", None, "../x")],
)
def test_a_bad_setting_is_refused_with_the_field(
    client: Client, mode: str, share: float | None, challenger: str
) -> None:
    with pytest.raises(UsageError, match=f"traffic for {MODEL}@prod"):
        client.set_traffic(MODEL, "prod", mode=mode, share=share, challenger=challenger)


def test_a_hostile_environment_name_is_refused(client: Client) -> None:
    with pytest.raises(UsageError):
        client.set_traffic(MODEL, "../prod", mode="ab")
