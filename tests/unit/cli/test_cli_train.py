"""``modelfleet train``: trains, summarises, skips on re-run, and refuses bad arguments cleanly.

``--workers 0`` trains in-process, which keeps these tests fast.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import modelfleet
import modelfleet.pipeline.runner as runner_module
from modelfleet.caller import local_user
from modelfleet.data.demo import DemoData
from modelfleet.pipeline.executors import LocalProcessExecutor

CliRunner = Callable[..., Any]


def _stored_tenants(home: Path) -> list[str]:
    with modelfleet.connect(home=str(home), environ={}) as client:
        return sorted(r.tenant for r in client.runs())


def test_train_trains_every_tenant_and_prints_the_summary(
    cli: CliRunner, demo: DemoData, home: Path
) -> None:
    result = cli("train", str(demo.spec_path), "--workers", "0")

    assert result.exit_code == 0, result.output
    assert "fleet demo-retail · dev" in result.stdout
    assert "0 failed, 0 skipped" in result.stdout
    assert _stored_tenants(home) == ["1", "2", "3", "4", "5"]


def test_second_train_skips_every_tenant(cli: CliRunner, demo: DemoData, home: Path) -> None:
    cli("train", str(demo.spec_path), "--workers", "0")

    result = cli("train", str(demo.spec_path), "--workers", "0")

    assert result.exit_code == 0, result.output
    assert "nothing to train, 5 tenant(s) already done" in result.stdout
    assert len(_stored_tenants(home)) == 5


def test_force_retrains_every_tenant(cli: CliRunner, demo: DemoData, home: Path) -> None:
    cli("train", str(demo.spec_path), "--workers", "0")

    result = cli("train", str(demo.spec_path), "--workers", "0", "--force")

    assert result.exit_code == 0, result.output
    assert _stored_tenants(home) == sorted(["1", "2", "3", "4", "5"] * 2)


def _versions(home: Path) -> list[str]:
    with modelfleet.connect(home=str(home), environ={}) as client:
        return sorted(str(v.version) for v in client.search(fleet="demo-retail"))


def test_force_on_unchanged_data_keeps_the_registered_versions(
    cli: CliRunner, demo: DemoData, home: Path
) -> None:
    cli("train", str(demo.spec_path), "--workers", "0")
    before = _versions(home)

    result = cli("train", str(demo.spec_path), "--workers", "0", "--force")

    assert result.exit_code == 0, result.output
    assert f"{len(before)} tenant(s) retrained to exactly" in result.stdout
    assert _versions(home) == before == ["1.0.0"] * len(before)


def test_allow_identical_registers_a_new_version_anyway(
    cli: CliRunner, demo: DemoData, home: Path
) -> None:
    cli("train", str(demo.spec_path), "--workers", "0")
    before = _versions(home)

    result = cli("train", str(demo.spec_path), "--workers", "0", "--force", "--allow-identical")

    assert result.exit_code == 0, result.output
    assert _versions(home) == before + ["1.1.0"] * len(before)


def test_home_option_wins_over_the_environment(
    cli: CliRunner, demo: DemoData, home: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other-home"

    result = cli("--home", str(other), "train", str(demo.spec_path), "--workers", "0")

    assert result.exit_code == 0, result.output
    assert len(_stored_tenants(other)) == 5
    assert not home.exists()


def test_negative_workers_is_a_usage_error_before_any_work(
    cli: CliRunner, demo: DemoData, home: Path
) -> None:
    result = cli("train", str(demo.spec_path), "--workers", "-1")

    assert result.exit_code == 2
    assert "--workers" in result.stderr
    assert "Traceback" not in result.output
    assert not home.exists()


def test_invalid_spec_exits_2_without_a_traceback(
    cli: CliRunner, demo: DemoData, edit_spec: Callable[..., None]
) -> None:
    edit_spec(demo.spec_path, lambda s: s["validation"].update(horizon=0))

    result = cli("train", str(demo.spec_path), "--workers", "0")

    assert result.exit_code == 2
    assert "validation.horizon" in result.stderr
    assert "Traceback" not in result.output


def test_train_exits_1_when_every_tenant_fails(
    cli: CliRunner, demo: DemoData, edit_spec: Callable[..., None]
) -> None:
    edit_spec(demo.spec_path, lambda s: s["model"]["params"].update(objective="no-such-objective"))

    result = cli("train", str(demo.spec_path), "--workers", "0")

    assert result.exit_code == 1
    assert "5 failed" in result.stdout


def test_train_exits_3_when_only_some_tenants_fail(cli: CliRunner, demo: DemoData) -> None:
    demo.shop_path.write_bytes(b"not parquet")

    result = cli("train", str(demo.spec_path), "--workers", "0")

    assert result.exit_code == 3, result.output
    assert "partial" in result.stdout and "1 failed" in result.stdout


def test_a_rerun_of_a_partly_failed_fleet_records_nothing_and_exits_the_same(
    cli: CliRunner, demo: DemoData, home: Path
) -> None:
    demo.shop_path.write_bytes(b"not parquet")
    first = cli("train", str(demo.spec_path), "--workers", "0")

    again = cli("train", str(demo.spec_path), "--workers", "0")

    assert (first.exit_code, again.exit_code) == (3, 3), again.output
    assert "1 still failing on the same data" in again.stdout
    assert len(_stored_tenants(home)) == 5  # 4 trained + 1 failed, nothing added


def test_a_tenant_id_no_store_accepts_counts_as_failed_and_exits_3(
    cli: CliRunner, demo: DemoData, home: Path
) -> None:
    with demo.sales_path.open("a", encoding="utf-8") as sales:
        sales.write("2023-01-02,..,100.0,0,1\n2023-01-03,..,120.0,0,1\n")

    result = cli("train", str(demo.spec_path), "--workers", "0")

    assert result.exit_code == 3, result.output
    assert "1 failed (1 with an invalid id)" in result.stdout
    assert ".." not in _stored_tenants(home)


def test_a_tenant_whose_data_changes_after_failing_is_recorded_again(
    cli: CliRunner, demo: DemoData, home: Path
) -> None:
    demo.shop_path.write_bytes(b"not parquet")
    cli("train", str(demo.spec_path), "--workers", "0")
    pq.write_table(pa.table({"unrelated": [1, 2]}), demo.shop_path)  # readable, wrong columns

    result = cli("train", str(demo.spec_path), "--workers", "0")

    assert result.exit_code == 3, result.output
    assert len(_stored_tenants(home)) == 6  # a different failure is news


def test_tenant_option_trains_only_the_named_tenants(
    cli: CliRunner, demo: DemoData, home: Path
) -> None:
    result = cli("train", str(demo.spec_path), "--workers", "0", "--tenant", "3", "--tenant", "1")

    assert result.exit_code == 0, result.output
    assert _stored_tenants(home) == ["1", "3"]


def test_unknown_tenant_exits_2_naming_it_without_recording_a_fleet_run(
    cli: CliRunner, demo: DemoData, home: Path
) -> None:
    result = cli("train", str(demo.spec_path), "--workers", "0", "--tenant", "nope")

    assert result.exit_code == 2
    assert "'nope'" in result.stderr and "known tenants: 1, 2, 3, 4, 5" in result.stderr
    assert "Traceback" not in result.output
    with modelfleet.connect(home=str(home), environ={}) as client:
        assert client.fleet_runs() == []


def test_fleet_run_records_the_local_user_and_a_manual_trigger(
    cli: CliRunner, demo: DemoData, home: Path
) -> None:
    cli("train", str(demo.spec_path), "--workers", "0", "--tenant", "1")

    with modelfleet.connect(home=str(home), environ={}) as client:
        (fleet_run,) = client.fleet_runs()
    assert (fleet_run.actor, fleet_run.trigger) == (local_user(), "manual")


def test_executor_option_chooses_the_executor(
    cli: CliRunner, demo: DemoData, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pool(self: LocalProcessExecutor) -> None:
        raise AssertionError("a process pool was started despite --executor inline")

    monkeypatch.setattr(LocalProcessExecutor, "_new_pool", no_pool)

    result = cli("train", str(demo.spec_path), "--workers", "2", "--executor", "inline")

    assert result.exit_code == 0, result.output
    assert len(_stored_tenants(home)) == 5


def test_unknown_executor_exits_2_listing_the_known_ones(cli: CliRunner, demo: DemoData) -> None:
    result = cli("train", str(demo.spec_path), "--executor", "dask")

    assert result.exit_code == 2
    assert "'dask' is unknown" in result.stderr and "inline, local, process" in result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def ctrl_c_while_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C arrives while the fleet's data is being loaded."""

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner_module, "load_fleet_data", interrupted)


@pytest.mark.usefixtures("ctrl_c_while_loading")
def test_ctrl_c_exits_130_and_marks_the_fleet_run_interrupted(
    cli: CliRunner, demo: DemoData, home: Path
) -> None:
    result = cli("train", str(demo.spec_path), "--workers", "0")

    assert result.exit_code == 130
    with modelfleet.connect(home=str(home), environ={}) as client:
        assert [f.status for f in client.fleet_runs()] == ["interrupted"]


@pytest.mark.usefixtures("ctrl_c_while_loading")
def test_ctrl_c_prints_how_to_resume(cli: CliRunner, demo: DemoData) -> None:
    result = cli("train", str(demo.spec_path), "--workers", "0")

    assert "run the same command to resume" in result.stderr
