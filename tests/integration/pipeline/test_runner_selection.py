"""Training part of a fleet: ``tenants=`` trains and records only the named tenants.

Also what the runner stores about who and what started a run (actor and trigger), and that
arguments it cannot use fail before any fleet run is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from modelfleet.client import Client
from modelfleet.config.spec import load_spec
from modelfleet.data.demo import DemoData
from modelfleet.errors import ConfigError, UsageError
from modelfleet.pipeline.executors import InlineExecutor, LocalProcessExecutor
from modelfleet.pipeline.runner import FleetRunSummary, train_fleet
from modelfleet.tracking.records import FleetRunRecord


def _train(
    client: Client, demo: DemoData, tenants: Sequence[str] | None = None, **kwargs: Any
) -> FleetRunSummary:
    options: dict[str, Any] = {"caller": "tester", "executor": InlineExecutor(), **kwargs}
    return train_fleet(
        load_spec(demo.spec_path, "dev"), client.settings, tenants=tenants, **options
    )


def _tenants(summary: FleetRunSummary) -> list[str]:
    return sorted(r.tenant for r in summary.records)


def _fleet_run(client: Client, summary: FleetRunSummary) -> FleetRunRecord:
    return next(f for f in client.fleet_runs() if f.id == summary.fleet_run_id)


def _duplicate_rows_of(demo: DemoData, store: str, count: int = 3) -> None:
    """Append the first ``count`` rows of ``store`` to the shared sales.csv again."""
    lines = demo.sales_path.read_text(encoding="utf-8").splitlines()
    repeats = [line for line in lines[1:] if line.split(",")[1] == store][:count]
    demo.sales_path.write_text("\n".join([*lines, *repeats]) + "\n", encoding="utf-8")


def test_selection_trains_and_records_only_the_named_tenants(
    client: Client, demo: DemoData
) -> None:
    summary = _train(client, demo, ["3", "1"])

    assert _tenants(summary) == ["1", "3"]
    assert sorted(r.tenant for r in client.runs()) == ["1", "3"]
    assert summary.selection == ("3", "1")
    fleet_run = _fleet_run(client, summary)
    assert (fleet_run.succeeded + fleet_run.rejected, fleet_run.skipped) == (2, 0)


def test_full_run_after_a_selection_trains_only_the_tenants_not_yet_done(
    client: Client, demo: DemoData, demo_tenants: tuple[str, ...]
) -> None:
    _train(client, demo, ["2"])

    again = _train(client, demo)

    assert _tenants(again) == sorted(set(demo_tenants) - {"2"})
    assert again.skipped == ("2",)


def test_selecting_a_done_tenant_skips_it_unless_forced(client: Client, demo: DemoData) -> None:
    _train(client, demo, ["4"])

    skipped = _train(client, demo, ["4"])
    forced = _train(client, demo, ["4"], force=True)

    assert (skipped.records, skipped.skipped) == ((), ("4",))
    assert _tenants(forced) == ["4"]


def test_selected_tenant_that_failed_validation_is_recorded_as_failed(
    client: Client, demo: DemoData
) -> None:
    _duplicate_rows_of(demo, "2")

    summary = _train(client, demo, ["2", "5"])

    assert {r.tenant: r.status == "failed" for r in summary.records} == {"2": True, "5": False}
    assert summary.status == "partial"


def test_failing_tenant_outside_the_selection_is_not_recorded(
    client: Client, demo: DemoData
) -> None:
    _duplicate_rows_of(demo, "2")

    summary = _train(client, demo, ["1"])

    assert [(r.tenant, r.status != "failed") for r in client.runs()] == [("1", True)]
    assert summary.status == "succeeded"


def test_unknown_tenant_id_errors_before_any_fleet_run_is_recorded(
    client: Client, demo: DemoData
) -> None:
    with pytest.raises(UsageError, match=r"'99'.*known tenants: 1, 2, 3, 4, 5"):
        _train(client, demo, ["1", "99"])

    assert client.fleet_runs() == []
    assert client.runs() == []


def test_actor_and_trigger_land_on_the_fleet_run_record(client: Client, demo: DemoData) -> None:
    summary = _train(client, demo, ["1"], caller="autopilot", trigger="drift")

    fleet_run = _fleet_run(client, summary)
    assert (fleet_run.actor, fleet_run.trigger) == ("autopilot", "drift")
    assert (summary.actor, summary.trigger) == ("autopilot", "drift")


def test_trigger_defaults_to_manual(client: Client, demo: DemoData) -> None:
    summary = _train(client, demo, ["1"])

    assert _fleet_run(client, summary).trigger == summary.trigger == "manual"


def test_unknown_trigger_errors_before_any_fleet_run_is_recorded(
    client: Client, demo: DemoData
) -> None:
    with pytest.raises(UsageError, match="'whim' is not one of: manual, schedule"):
        _train(client, demo, ["1"], trigger="whim")

    assert client.fleet_runs() == []


def test_executor_setting_is_used_when_no_executor_is_given(
    client: Client, demo: DemoData, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pool(self: LocalProcessExecutor) -> None:
        raise AssertionError("the default process pool was used, not the executor setting")

    monkeypatch.setattr(LocalProcessExecutor, "_new_pool", no_pool)
    settings = client.settings.with_overrides(executor="inline", workers=2)
    spec = load_spec(demo.spec_path, "dev")

    summary = train_fleet(spec, settings, caller="tester", tenants=["1"])

    assert _tenants(summary) == ["1"]


def test_unknown_executor_setting_errors_before_any_fleet_run_is_recorded(
    client: Client, demo: DemoData
) -> None:
    settings = client.settings.with_overrides(executor="dask")

    with pytest.raises(ConfigError, match="'dask' is unknown"):
        train_fleet(load_spec(demo.spec_path, "dev"), settings, caller="tester")

    assert client.fleet_runs() == []


# A view over the whole fleet keyed by region: its values mix other tenants' rows, so a tenant
# trained alone must still see the fleet's data to get the same features.
REGION_VIEW = {
    "name": "region_sales",
    "entities": ["region"],
    "timestamp": "date",
    "source": "fleet",
    "ttl": "60d",
    "features": [{"name": "region_mean_28d", "rolling": {"column": "sales", "window": "28d"}}],
}


def _add_region_view(spec: dict[str, Any]) -> None:
    spec["feature_views"] = [REGION_VIEW]
    spec["features"]["views"] = ["region_sales:*"]


def test_selected_tenant_gets_the_same_training_rows_as_in_a_full_run(
    client: Client,
    demo: DemoData,
    recording_executor_class: type[Any],
    edit_spec: Callable[..., None],
) -> None:
    edit_spec(demo.spec_path, _add_region_view)
    everyone, alone = recording_executor_class(), recording_executor_class()
    _train(client, demo, executor=everyone)

    _train(client, demo, ["3"], executor=alone, force=True)

    assert set(alone.tasks) == {"3"}
    assert alone.tasks["3"].frame.equals(everyone.tasks["3"].frame)
    assert "region_mean_28d" in alone.tasks["3"].feature_columns
