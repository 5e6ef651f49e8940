"""The registry watch: one generation read a second, and a move in the registry changes it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

import modelfleet
from modelfleet.client import Client
from modelfleet.data.demo import generate_demo_data
from modelfleet.pipeline.executors import InlineExecutor
from modelfleet.scoring.watch import RegistryWatch
from modelfleet.store import MetadataStore, open_store

MODEL = "demo-retail/1"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, MetadataStore]]:
    root = tmp_path_factory.mktemp("watch")
    demo = generate_demo_data(root / "demo", stores=3, days=120, seed=0)
    with modelfleet.connect(home=str(root / "home"), environ={}) as client:
        client.train(demo.spec_path, "dev", tenants=["1"], executor=InlineExecutor())
        store = open_store(client.settings.store_url)
        yield client, store
        store.close()


def test_an_alias_move_changes_the_registry_generation(
    trained: tuple[Client, MetadataStore],
) -> None:
    client, store = trained
    before = store.registry_generation()

    client.set_alias(MODEL, "dev", "1.0.0", reason="watch test")

    assert store.registry_generation() > before


def test_a_traffic_change_changes_the_registry_generation(
    trained: tuple[Client, MetadataStore],
) -> None:
    client, store = trained
    before = store.registry_generation()

    client.set_traffic(MODEL, "dev", mode="ab")

    assert store.registry_generation() > before


def test_the_watch_reads_the_generation_at_most_once_per_ttl(
    trained: tuple[Client, MetadataStore],
) -> None:
    client, store = trained
    watch = RegistryWatch(store, ttl=0.5)
    first = watch.generation()

    client.set_traffic(MODEL, "staging", mode="canary", share=0.1)
    cached = watch.generation()
    time.sleep(0.6)
    fresh = watch.generation()

    assert cached == first
    assert fresh > first
