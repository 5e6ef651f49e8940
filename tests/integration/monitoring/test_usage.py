"""``modelfleet usage``: training cost per tenant from the run records, serving figures per
tenant, version and arm from the prediction log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest


def _report(logged: Any) -> Any:
    return logged.client.usage(
        logged.fleet, environment="dev", since=logged.since, until=logged.until
    )


def test_every_trained_tenant_has_its_runs_and_artifact_bytes(logged: Any) -> None:
    training = {row.tenant: row for row in _report(logged).training}

    assert set(training) == set(logged.tenants)
    for row in training.values():
        assert row.runs == 1
        assert row.artifact_bytes > 0
        assert row.last_started_at is not None


def test_serving_counts_each_request_once_per_arm_with_its_rows(logged: Any) -> None:
    serving = {(r.tenant, r.arm): r for r in _report(logged).serving}

    for tenant in logged.tenants:
        champion, shadow = serving[(tenant, "champion")], serving[(tenant, "shadow")]
        dates = len(logged.holdout_dates[tenant])
        # the fixture logs the same request id for the repeated copies: one request, many rows
        assert champion.predictions == logged.repeats * dates
        assert shadow.predictions == dates
        assert champion.p50_ms == pytest.approx(1.0) and champion.p99_ms == pytest.approx(1.0)
        assert champion.requests_per_second > 0


def test_a_span_before_any_request_has_no_serving_rows(logged: Any) -> None:
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    report = logged.client.usage(
        logged.fleet, environment="dev", since=long_ago, until=long_ago + timedelta(days=1)
    )

    assert report.serving == () and len(report.training) == len(logged.tenants)


def test_the_usage_command_prints_json_lines_of_both_parts(
    logged: Any, run_cli: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli("usage", logged.fleet, "--env", "dev", "--json")

    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    assert code == 0
    assert {r["record"] for r in records} == {"training", "serving"}
    assert sum(r["record"] == "training" for r in records) == len(logged.tenants)


def test_the_usage_table_names_both_parts(
    logged: Any, run_cli: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli("usage", logged.fleet, "--env", "dev")

    out = " ".join(capsys.readouterr().out.split())
    assert code == 0
    assert "training cost of" in out and "serving @ dev" in out
