"""``modelfleet runs list|show|compare`` over a home where the demo fleet was trained once."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest

CliRunner = Callable[..., Any]
JSON_KEYS = {"run_id", "fleet", "tenant", "status", "metrics", "baseline_metrics"}


@pytest.fixture
def runs_cli(cli: CliRunner, trained_home: Any) -> CliRunner:
    """``runs_cli(*args)``: ``modelfleet runs *args`` against the trained home."""

    def run(*args: str) -> Any:
        return cli("runs", *args, home_dir=trained_home.home)

    return run


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_list_shows_every_run_as_a_table(runs_cli: CliRunner, trained_home: Any) -> None:
    result = runs_cli("list")

    assert result.exit_code == 0, result.output
    assert "5 run(s), newest first" in result.stdout
    for run in trained_home.runs:
        assert run.run_id[:8] in result.stdout
        assert f"demo-retail/{run.tenant}" in result.stdout


def test_list_json_gives_one_object_per_run_with_the_documented_fields(
    runs_cli: CliRunner, trained_home: Any
) -> None:
    result = runs_cli("list", "--json")

    assert result.exit_code == 0, result.output
    rows = _json_lines(result.stdout)
    assert [r["run_id"] for r in rows] == [r.run_id for r in trained_home.runs]
    for row, run in zip(rows, trained_home.runs, strict=True):
        assert set(row) >= JSON_KEYS
        assert (row["fleet"], row["tenant"], row["status"]) == (
            "demo-retail",
            run.tenant,
            run.status,
        )
        assert row["metrics"] == pytest.approx(dict(run.metrics))
        assert row["baseline_metrics"] == pytest.approx(dict(run.baseline_metrics))


def test_list_filters_by_status(runs_cli: CliRunner, trained_home: Any) -> None:
    # Store 5 at 200 days used to be rejected; it now gets its baseline (a succeeded run with
    # choice=baseline), so each status is asked for and must give exactly its own runs.
    for status in ("succeeded", "rejected", "failed"):
        expected = {r.run_id for r in trained_home.runs if r.status == status}

        rows = _json_lines(runs_cli("list", "--json", "--status", status).stdout)

        assert {r["run_id"] for r in rows} == expected, status
    assert any(r.status == "succeeded" for r in trained_home.runs)


def test_list_filters_by_tenant_and_limits(runs_cli: CliRunner) -> None:
    assert [
        r["tenant"] for r in _json_lines(runs_cli("list", "--json", "--tenant", "2").stdout)
    ] == ["2"]
    assert len(_json_lines(runs_cli("list", "--json", "--limit", "2").stdout)) == 2


def test_list_of_an_unknown_fleet_is_empty(runs_cli: CliRunner) -> None:
    result = runs_cli("list", "--json", "--fleet", "no-such-fleet")

    assert result.exit_code == 0
    assert result.stdout == ""


def test_list_with_an_unknown_status_is_a_usage_error(runs_cli: CliRunner) -> None:
    result = runs_cli("list", "--status", "bogus")

    assert result.exit_code == 2
    assert "'bogus'" in result.stderr and "succeeded, rejected or failed" in result.stderr
    assert "Traceback" not in result.output


def test_show_by_prefix_prints_the_run_with_metrics_and_lineage(
    runs_cli: CliRunner, trained_home: Any
) -> None:
    run = trained_home.runs[0]

    result = runs_cli("show", run.run_id[:8])

    assert result.exit_code == 0, result.output
    assert f"run {run.run_id}" in result.stdout
    assert f"demo-retail/{run.tenant}" in result.stdout
    assert "holdout metrics" in result.stdout and "wmape" in result.stdout
    assert run.config_hash in result.stdout
    assert "package.lightgbm" in result.stdout


def test_show_json_carries_params_lineage_and_artifacts(
    runs_cli: CliRunner, trained_home: Any
) -> None:
    run = trained_home.runs[0]

    (shown,) = _json_lines(runs_cli("show", run.run_id, "--json").stdout)

    assert shown["run_id"] == run.run_id
    assert shown["params"] == dict(run.params)
    assert shown["lineage"] == dict(run.lineage)
    assert [a["digest"] for a in shown["artifacts"]] == [a.digest for a in run.artifacts]


def test_show_with_an_unknown_id_is_a_clean_not_found_error(runs_cli: CliRunner) -> None:
    result = runs_cli("show", "deadbeefdeadbeef")

    assert result.exit_code == 2
    assert "not found" in result.stderr
    assert "deadbeefdeadbeef" in result.stderr
    assert "Traceback" not in result.output


def test_show_with_a_too_short_prefix_says_how_long_it_must_be(runs_cli: CliRunner) -> None:
    result = runs_cli("show", "abc")

    assert result.exit_code == 2
    assert "at least 6" in result.stderr


def test_compare_puts_two_runs_side_by_side(runs_cli: CliRunner, trained_home: Any) -> None:
    a, b = trained_home.runs[:2]

    result = runs_cli("compare", a.run_id[:8], b.run_id[:8])

    assert result.exit_code == 0, result.output
    assert "run comparison" in result.stdout
    assert a.run_id[:8] in result.stdout and b.run_id[:8] in result.stdout
    assert "metric.wmape" in result.stdout and "baseline.wmape" in result.stdout


def test_compare_json_gives_one_line_per_key_with_a_value_per_run(
    runs_cli: CliRunner, trained_home: Any
) -> None:
    a, b = trained_home.runs[:2]

    rows = _json_lines(runs_cli("compare", a.run_id, b.run_id, "--json").stdout)

    keys = [row["key"] for row in rows]
    assert {f"metric.{m}" for m in a.metrics} <= set(keys)
    assert {f"baseline.{m}" for m in a.baseline_metrics} <= set(keys)
    assert {f"param.{p}" for p in a.params} <= set(keys)
    assert all(set(row["values"]) == {a.run_id, b.run_id} for row in rows)
    by_key = {row["key"]: row["values"] for row in rows}
    assert by_key["param.model.num_leaves"] == {
        a.run_id: a.params["model.num_leaves"],
        b.run_id: b.params["model.num_leaves"],
    }


def test_compare_json_gives_metrics_as_full_precision_numbers(
    runs_cli: CliRunner, trained_home: Any
) -> None:
    a, b = trained_home.runs[:2]

    rows = _json_lines(runs_cli("compare", a.run_id, b.run_id, "--json").stdout)

    wmape = next(row["values"] for row in rows if row["key"] == "metric.wmape")
    assert wmape == {a.run_id: a.metrics["wmape"], b.run_id: b.metrics["wmape"]}
    assert all(isinstance(v, float) and math.isfinite(v) for v in wmape.values())


def test_compare_with_one_id_is_a_usage_error(runs_cli: CliRunner, trained_home: Any) -> None:
    result = runs_cli("compare", trained_home.runs[0].run_id)

    assert result.exit_code == 2
    assert "at least two run ids" in result.stderr


def test_compare_with_an_unknown_id_is_a_clean_not_found_error(
    runs_cli: CliRunner, trained_home: Any
) -> None:
    result = runs_cli("compare", trained_home.runs[0].run_id, "0123456789abcdef")

    assert result.exit_code == 2
    assert "0123456789abcdef" in result.stderr
    assert "Traceback" not in result.output


def test_list_table_is_readable_at_80_columns(
    console_script: Callable[..., Any], trained_home: Any
) -> None:
    result = console_script(
        "runs", "list", env={"MODELFLEET_HOME": str(trained_home.home), "COLUMNS": "80"}
    )

    assert result.returncode == 0, result.stderr
    for run in trained_home.runs:
        assert f"demo-retail/{run.tenant}" in result.stdout
