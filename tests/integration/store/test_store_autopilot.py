"""The store's autopilot part on every backend: action records and the lease lock."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest

from modelfleet.errors import ConflictError, NotFoundError
from modelfleet.monitoring.autopilot.lock import fleet_lock, holder_is_gone
from modelfleet.store import MetadataStore
from modelfleet.store.autopilot import LockRow, NewActionRow

from .conftest import T0

HOUR = timedelta(hours=1)


def _action(tenant: str, status: str = "done", kind: str = "retrain") -> NewActionRow:
    return NewActionRow(
        pass_id="p1",
        fleet="demand",
        environment="prod",
        tenant=tenant,
        kind=kind,
        version="1.0.0",
        status=status,
        reason="retrain: its inputs drifted",
        figures='{"candidate": "1.1.0"}',
        at=T0,
        actor="autopilot",
    )


def _lock(owner: str, at_hours: float = 0, lease_hours: float = 1) -> LockRow:
    at = T0 + timedelta(hours=at_hours)
    return LockRow("demand", "prod", owner, at, at + timedelta(hours=lease_hours))


def test_actions_are_listed_newest_first_and_filtered_by_status(store: MetadataStore) -> None:
    store.add_autopilot_actions([_action("a"), _action("b", "pending"), _action("c")])

    assert [a.tenant for a in store.autopilot_actions("demand", "prod")] == ["c", "b", "a"]
    assert [a.tenant for a in store.autopilot_actions(status="pending")] == ["b"]
    assert store.autopilot_actions("other") == []


def test_a_pending_action_is_approved_once(store: MetadataStore) -> None:
    store.add_autopilot_actions([_action("a", "pending")])
    pending = store.autopilot_actions(status="pending")[0]

    store.decide_autopilot_action(
        pending.id, from_status="pending", to_status="approved", actor="alice", at=T0
    )

    decided = store.autopilot_action(pending.id)
    assert (decided.status, decided.decided_by, decided.decided_at) == ("approved", "alice", T0)
    with pytest.raises(ConflictError, match="is approved, not pending"):
        store.decide_autopilot_action(
            pending.id, from_status="pending", to_status="rejected", actor="bob", at=T0
        )


def test_an_unknown_action_id_says_how_to_list_them(store: MetadataStore) -> None:
    with pytest.raises(NotFoundError, match="modelfleet actions list"):
        store.autopilot_action(999)


def test_a_held_lock_is_not_taken_by_another_owner(store: MetadataStore) -> None:
    assert store.take_autopilot_lock(_lock("host:1:a")) is None

    held = store.take_autopilot_lock(_lock("host:2:b", at_hours=0.5))

    assert held is not None and held.owner == "host:1:a"


def test_an_expired_lock_is_taken_over(store: MetadataStore) -> None:
    store.take_autopilot_lock(_lock("host:1:a"))

    assert store.take_autopilot_lock(_lock("host:2:b", at_hours=2)) is None
    lock = store.autopilot_lock("demand", "prod")
    assert lock is not None and lock.owner == "host:2:b"


def test_a_lock_is_released_by_its_owner_only(store: MetadataStore) -> None:
    store.take_autopilot_lock(_lock("host:1:a"))

    store.release_autopilot_lock("demand", "prod", "host:2:b")
    assert store.autopilot_lock("demand", "prod") is not None
    store.release_autopilot_lock("demand", "prod", "host:1:a")
    assert store.autopilot_lock("demand", "prod") is None


def test_locks_of_other_environments_are_independent(store: MetadataStore) -> None:
    store.take_autopilot_lock(_lock("host:1:a"))

    other = LockRow("demand", "staging", "host:2:b", T0, T0 + HOUR)
    assert store.take_autopilot_lock(other) is None


def test_a_second_pass_is_refused_naming_the_holder(store: MetadataStore) -> None:
    with fleet_lock(store, "demand", "prod", HOUR, T0) as owner:
        with (
            pytest.raises(ConflictError, match="already running") as caught,
            fleet_lock(store, "demand", "prod", HOUR, T0),
        ):
            pass
        assert owner in str(caught.value)
    assert store.autopilot_lock("demand", "prod") is None  # released on the way out


def test_a_lock_whose_holder_died_on_this_host_is_taken_over_at_once(
    store: MetadataStore,
) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # a process id that ran here and is gone
    dead = f"{socket.gethostname()}:{child.pid}:dead"
    store.take_autopilot_lock(_lock(dead, lease_hours=100))

    with fleet_lock(store, "demand", "prod", HOUR, T0) as owner:
        lock = store.autopilot_lock("demand", "prod")
        assert lock is not None and lock.owner == owner


def test_a_live_holder_or_one_on_another_host_is_not_taken_as_gone() -> None:
    assert not holder_is_gone(f"{socket.gethostname()}:{os.getpid()}:me")
    assert not holder_is_gone("some-other-host:1:x")
    assert not holder_is_gone("garbage")


def test_of_many_passes_starting_at_once_exactly_one_gets_the_lock(
    durable_store_url: str,
) -> None:
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from modelfleet.store import open_store

    stores = [open_store(durable_store_url) for _ in range(6)]
    start = Barrier(len(stores))

    def take(i: int) -> bool:
        start.wait()
        return stores[i].take_autopilot_lock(_lock(f"host:{i}:x")) is None

    try:
        with ThreadPoolExecutor(len(stores)) as pool:
            won = list(pool.map(take, range(len(stores))))
    finally:
        for opened in stores:
            opened.close()

    assert sum(won) == 1


def test_actions_older_than_since_are_left_out(store: MetadataStore) -> None:
    old = _action("a")
    recent = NewActionRow(**{**old.__dict__, "tenant": "b", "at": T0 + timedelta(days=100)})
    store.add_autopilot_actions([old, recent])

    kept = store.autopilot_actions("demand", "prod", since=T0 + timedelta(days=1))

    assert [a.tenant for a in kept] == ["b"]
