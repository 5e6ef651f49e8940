"""Two processes moving one model's alias at once: one version per alias, no event lost.

Runs on the backends separate processes can share (SQLite file, PostgreSQL).
"""

from __future__ import annotations

import itertools

from modelfleet.registry import Registry, SemVer

from .registry_workers import (
    MODEL,
    RUNS,
    VERSIONS,
    move_prod,
    register_same_runs,
    run_workers,
    seed,
)


def test_concurrent_moves_of_one_alias_keep_a_consistent_chain(durable_store_url: str) -> None:
    seed(durable_store_url)

    moves = sum(run_workers(move_prod, durable_store_url))

    with Registry.open(durable_store_url) as registry:
        events = registry.history(MODEL)[::-1]  # oldest first
        current = registry.resolve(f"{MODEL}@prod")
        versions = registry.versions(MODEL)
    chain = [e for e in events if e.alias == "prod" and e.kind == "alias_set"]
    shown = "\n".join(
        f"{e.id} {e.kind} {e.from_version}->{e.to_version} {e.reason}" for e in events
    )
    assert len(chain) == moves > 0, f"{moves} moves reported; history:\n{shown}"
    assert chain[0].from_version is None
    for before, after in itertools.pairwise(chain):
        assert after.from_version == before.to_version, shown
    assert chain[-1].to_version == current.version
    # Exactly the version prod points at is active, and its status changes were all recorded.
    assert {str(v.version): v.status for v in versions} == {
        v: "active" if SemVer.parse(v) == current.version else "candidate" for v in VERSIONS
    }
    activations = [e for e in events if e.kind == "status_changed" and e.to_status == "active"]
    assert len(activations) == len(chain)


def test_concurrent_registrations_of_the_same_runs_make_one_version_each(
    durable_store_url: str,
) -> None:
    first, second = run_workers(register_same_runs, durable_store_url)

    assert first == second  # both saw the same version for every run
    assert sorted(first.values(), key=SemVer.parse) == [f"1.{n}.0" for n in range(RUNS)]
