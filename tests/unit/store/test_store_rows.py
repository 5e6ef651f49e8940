"""Rows refuse values the store's enumerated columns do not allow."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from modelfleet.store import FindingRow, FleetRunRow, MetricRow, ParamRow, RunQuery


def test_a_fleet_run_with_an_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="fleet run status='done'"):
        FleetRunRow("f", "demand", "dev", "done", datetime.now(UTC), None, "cfg")


def test_a_metric_with_an_unknown_scope_is_refused() -> None:
    with pytest.raises(ValueError, match="metric scope"):
        MetricRow("mae", 1.0, scope="holdout")


def test_a_param_with_an_unknown_type_tag_is_refused() -> None:
    with pytest.raises(ValueError, match="param type"):
        ParamRow("k", "v", "list")


def test_a_finding_with_an_unknown_severity_is_refused() -> None:
    with pytest.raises(ValueError, match="severity"):
        FindingRow("nulls", "info", None, 1, "m")


def test_a_query_with_a_negative_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        RunQuery(limit=-1)
