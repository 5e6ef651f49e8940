"""Alias resolution's raw-connection fast path: fresh, thread-safe, bounded.

On the backends separate processes can share (SQLite file, PostgreSQL), where each thread keeps
a connection of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from modelfleet.registry import Registry, SemVer
from modelfleet.store.registry import fast as registry_fast

from .conftest import SIGNATURE, build_run


@pytest.fixture
def pair(durable_store_url: str) -> Iterator[tuple[Registry, Registry]]:
    """Two registries on the same store, as two processes would have; s1 has 1.0.0 and 1.1.0."""
    with Registry.open(durable_store_url) as first, Registry.open(durable_store_url) as second:
        for _ in range(2):
            first.register(build_run("s1"), SIGNATURE, caller="a")
        first.set_alias("demand/s1", "prod", "1.0.0", caller="a", reason="")
        yield first, second


def test_a_move_made_elsewhere_is_seen_by_the_next_resolution(
    pair: tuple[Registry, Registry],
) -> None:
    reader, writer = pair
    assert reader.resolve("demand/s1@prod").version == SemVer(1, 0, 0)  # keeps a connection

    writer.set_alias("demand/s1", "prod", "1.1.0", caller="b", reason="")

    assert reader.resolve("demand/s1@prod").version == SemVer(1, 1, 0)


def test_threads_resolve_at_once_on_their_own_connections(
    pair: tuple[Registry, Registry],
) -> None:
    reader, _ = pair

    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(lambda _: reader.resolve("demand/s1@prod").ref, range(400)))

    assert set(found) == {"demand/s1:1.0.0"}


def test_lookups_beyond_the_kept_connections_borrow_from_the_pool(
    pair: tuple[Registry, Registry], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry_fast, "MAX_KEPT", 0)
    _, fresh = pair

    assert fresh.resolve("demand/s1@prod").version == SemVer(1, 0, 0)
    assert fresh.store.version_by_alias("demand/s1", "staging") is None
