"""What train keeps for forecasts: each registered tenant's recent rows, in the online store."""

from __future__ import annotations

from pathlib import Path

from modelfleet.config.settings import Settings
from modelfleet.config.spec import load_spec
from modelfleet.data.canonical import TENANT_COLUMN
from modelfleet.data.demo import generate_demo_data
from modelfleet.data.ingest import load_fleet_data
from modelfleet.features.history import is_complete, kept_periods, read_history, recent_rows
from modelfleet.features.online.backends import open_online_store
from modelfleet.pipeline.executors import InlineExecutor
from modelfleet.pipeline.recording import SilentListener
from modelfleet.pipeline.runner import train_fleet
from modelfleet.training.defaults import with_feature_defaults


def test_train_keeps_the_recent_rows_of_every_tenant_it_registers(tmp_path: Path) -> None:
    demo = generate_demo_data(tmp_path / "demo", stores=3, days=120, seed=0)
    spec = load_spec(demo.spec_path, "dev")
    settings = Settings.for_home(tmp_path / "home")

    summary = train_fleet(spec, settings, caller="test", executor=InlineExecutor())

    online = open_online_store(settings.online_url)
    try:
        kept = read_history(online, spec.name, ["1", "2", "3", "nobody"])
    finally:
        online.close()
    assert set(kept) == set(summary.versions)
    data = load_fleet_data(spec)
    for tenant, rows in kept.items():
        assert rows.schema == data.table.schema.with_metadata(rows.schema.metadata)
        assert rows.equals(data.tenant_table(tenant).replace_schema_metadata(rows.schema.metadata))


def test_a_long_history_is_cut_to_the_periods_a_forecast_reads(tmp_path: Path) -> None:
    demo = generate_demo_data(tmp_path / "demo", stores=3, days=500, seed=0)
    spec = load_spec(demo.spec_path, "dev")
    data = load_fleet_data(spec)
    spec = with_feature_defaults(spec, data.frequency)

    kept = recent_rows(data, {"1": spec, "2": spec}, data.frequency)

    assert set(kept) == {"1", "2"}
    periods = kept_periods(spec)
    for tenant, rows in kept.items():
        whole = data.tenant_table(tenant)
        assert rows.num_rows == min(periods, whole.num_rows)
        last = whole["date"].to_numpy()[-1]
        assert rows["date"].to_numpy()[-1] == last
        assert is_complete(rows) == (whole.num_rows <= periods)
        assert set(rows[TENANT_COLUMN].to_pylist()) == {tenant}


def test_an_online_store_that_cannot_be_written_leaves_the_run_succeeded(tmp_path: Path) -> None:
    demo = generate_demo_data(tmp_path / "demo", stores=3, days=120, seed=0)
    spec = load_spec(demo.spec_path, "dev")
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the online store's folder should be")
    settings = Settings.for_home(tmp_path / "home").with_overrides(
        online_url=f"sqlite:///{blocked / 'online.db'}"
    )
    listener = _Stages()

    summary = train_fleet(
        spec, settings, caller="test", executor=InlineExecutor(), listener=listener
    )

    assert summary.versions and summary.status == "succeeded"
    assert any("recent history not kept" in stage for stage in listener.stages)


class _Stages(SilentListener):
    """Keeps the stage messages a run reports."""

    def __init__(self) -> None:
        self.stages: list[str] = []

    def stage(self, message: str) -> None:
        self.stages.append(message)
