"""Re-running a fleet: finished tenants are skipped, and exactly what changed is retrained."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq

from modelfleet.client import Client
from modelfleet.data.demo import DemoData
from modelfleet.pipeline.executors import InlineExecutor
from modelfleet.pipeline.runner import FleetRunSummary


def _train(client: Client, demo: DemoData, env: str = "dev", **kwargs: Any) -> FleetRunSummary:
    return client.train(demo.spec_path, env, executor=InlineExecutor(), **kwargs)


def _tenants(summary: FleetRunSummary) -> list[str]:
    return sorted(r.tenant for r in summary.records)


def _change_shared_sales(demo: DemoData, store: str) -> None:
    """Change one sales value of ``store`` in the shared sales.csv (date,store_id,sales,...)."""
    lines = demo.sales_path.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.split(",")[1] == store)
    fields = lines[index].split(",")
    fields[2] = str(float(fields[2]) + 1.0)
    lines[index] = ",".join(fields)
    demo.sales_path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_rerun_skips_every_tenant_and_records_no_run(
    client: Client, demo: DemoData, demo_tenants: tuple[str, ...]
) -> None:
    _train(client, demo)
    before = {r.run_id for r in client.runs()}

    again = _train(client, demo)

    assert again.records == ()
    assert sorted(again.skipped) == sorted(demo_tenants)
    assert {r.run_id for r in client.runs()} == before


def test_rerun_is_recorded_as_a_fleet_run_that_skipped_every_tenant(
    client: Client, demo: DemoData, demo_tenants: tuple[str, ...]
) -> None:
    _train(client, demo)

    again = _train(client, demo)

    fleet_run = next(f for f in client.fleet_runs() if f.id == again.fleet_run_id)
    assert again.status == fleet_run.status == "succeeded"
    assert (fleet_run.succeeded, fleet_run.rejected, fleet_run.failed) == (0, 0, 0)
    assert fleet_run.skipped == len(demo_tenants)


def test_force_retrains_every_tenant_as_new_runs(
    client: Client, demo: DemoData, demo_tenants: tuple[str, ...]
) -> None:
    first = _train(client, demo)

    forced = _train(client, demo, force=True)

    assert _tenants(forced) == sorted(demo_tenants)
    assert forced.skipped == ()
    assert not {r.run_id for r in forced.records} & {r.run_id for r in first.records}
    assert len(client.runs()) == 2 * len(demo_tenants)


def test_changed_shared_data_retrains_only_that_tenant(
    client: Client, demo: DemoData, demo_tenants: tuple[str, ...]
) -> None:
    _train(client, demo)
    _change_shared_sales(demo, "2")

    again = _train(client, demo)

    assert _tenants(again) == ["2"]
    assert sorted(again.skipped) == sorted(set(demo_tenants) - {"2"})


def test_changed_partner_file_retrains_only_that_partner(client: Client, demo: DemoData) -> None:
    _train(client, demo)
    table = pq.read_table(demo.shop_path)
    pq.write_table(
        table.set_column(2, "revenue", pc.multiply(table["revenue"], 1.01)), demo.shop_path
    )

    again = _train(client, demo)

    assert _tenants(again) == [demo.shop_store]


def test_new_run_after_a_data_change_records_the_new_fingerprint(
    client: Client, demo: DemoData
) -> None:
    first = {r.tenant: r for r in _train(client, demo).records}
    _change_shared_sales(demo, "2")

    (again,) = _train(client, demo).records

    assert again.data_fingerprint != first["2"].data_fingerprint
    assert again.config_hash == first["2"].config_hash


def test_training_another_environment_does_not_skip_tenants_done_in_dev(
    client: Client, demo: DemoData, demo_tenants: tuple[str, ...]
) -> None:
    _train(client, demo, "dev")

    prod = _train(client, demo, "prod")

    assert _tenants(prod) == sorted(demo_tenants)
    assert {r.environment for r in prod.records} == {"prod"}
    assert {r.params["model.n_estimators"] for r in prod.records} == {200}


def test_changed_override_retrains_only_that_tenant(
    client: Client, demo: DemoData, edit_spec: Callable[..., None]
) -> None:
    _train(client, demo)
    edit_spec(
        demo.spec_path,
        lambda s: s["tenants"]["overrides"].update({"2": {"model": {"params": {"num_leaves": 7}}}}),
    )

    again = _train(client, demo)

    assert _tenants(again) == ["2"]


def test_changed_overlay_of_another_environment_retrains_nothing(
    client: Client, demo: DemoData, edit_spec: Callable[..., None]
) -> None:
    _train(client, demo, "dev")
    edit_spec(demo.spec_path, lambda s: s["environments"].update(prod={"tuning": {"trials": 5}}))

    again = _train(client, demo, "dev")

    assert again.records == ()
