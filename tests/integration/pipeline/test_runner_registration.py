"""Training registers every tenant whose candidate passes its gate as a model version."""

from __future__ import annotations

from modelfleet.client import Client
from modelfleet.data.demo import DemoData
from modelfleet.pipeline.executors import InlineExecutor


def _train(client: Client, demo: DemoData, **kwargs: object):
    return client.train(demo.spec_path, "dev", executor=InlineExecutor(), **kwargs)


def test_each_succeeded_tenant_becomes_version_1_0_0(client: Client, demo: DemoData) -> None:
    summary = _train(client, demo)

    succeeded = {r.tenant: r for r in summary.records if r.status == "succeeded"}
    assert succeeded
    assert summary.versions == dict.fromkeys(succeeded, "1.0.0")
    for tenant, run in succeeded.items():
        version = client.resolve(f"demo-retail/{tenant}")
        assert version.run_id == run.run_id
        assert version.status == "candidate"


def test_rejected_tenants_are_not_registered(client: Client, demo: DemoData) -> None:
    summary = _train(client, demo)

    rejected = [r.tenant for r in summary.records if r.status == "rejected"]
    registered = {v.tenant for v in client.search(fleet="demo-retail", limit=None)}
    assert not set(rejected) & registered
    assert registered == set(summary.versions)


def test_a_forced_retrain_on_unchanged_data_keeps_the_version(
    client: Client, demo: DemoData
) -> None:
    first = _train(client, demo)
    second = _train(client, demo, force=True)

    assert second.versions == first.versions == second.reused
    assert set(first.versions.values()) == {"1.0.0"}


def test_a_forced_retrain_with_allow_identical_registers_a_minor_version(
    client: Client, demo: DemoData
) -> None:
    first = _train(client, demo)
    second = _train(client, demo, force=True, allow_identical=True)

    for tenant, version in second.versions.items():
        assert first.versions.get(tenant) == "1.0.0"
        assert version == "1.1.0"
    assert second.reused == {}


def test_a_recorded_but_unregistered_run_is_registered_by_the_next_train(
    client: Client, demo: DemoData
) -> None:
    first = _train(client, demo)
    tenant = next(iter(first.versions))
    # What a crash between the two transactions leaves: the run, without its version.
    client.delete_version(f"demo-retail/{tenant}", "1.0.0", reason="simulate a crash")

    again = _train(client, demo)

    assert again.records == ()  # every tenant was skipped as already trained...
    assert list(again.versions) == [tenant]  # ...and the orphan run was registered
    run_ids = {v.run_id for v in client.versions(f"demo-retail/{tenant}")}
    assert run_ids == {next(r.run_id for r in first.records if r.tenant == tenant)}
