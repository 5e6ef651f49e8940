"""sources[].aggregate in the spec: parsed, and bad values named by field path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelfleet.config.spec import FleetSpec, parse_spec
from modelfleet.errors import ConfigError


def parse(*sources: dict[str, Any]) -> FleetSpec:
    data = {
        "name": "agg-fleet",
        "schema": {"tenant_key": "store", "timestamp": "date", "target": "sales"},
        "sources": [{"name": "sales", "path": "sales.csv"}, *sources],
    }
    return parse_spec(data, base_dir=Path(), file_label="fleet.yaml")


def test_aggregate_parses_period_rules_and_partial_periods() -> None:
    spec = parse(
        {
            "name": "days",
            "kind": "covariates",
            "path": "days.csv",
            "aggregate": {"period": "W-FRI", "columns": {"promo": "max"}},
        }
    )
    aggregate = spec.sources[1].aggregate
    assert aggregate is not None
    assert (aggregate.period, dict(aggregate.columns), aggregate.partial_periods) == (
        "W-FRI",
        {"promo": "max"},
        "drop",
    )


def test_an_unknown_rule_is_an_error_naming_the_field() -> None:
    with pytest.raises(ConfigError, match=r"aggregate\.columns\.promo"):
        parse({"name": "d", "path": "d.csv", "aggregate": {"columns": {"promo": "median"}}})


def test_an_unknown_period_is_an_error_naming_the_field() -> None:
    with pytest.raises(ConfigError, match=r"aggregate\.period"):
        parse({"name": "d", "path": "d.csv", "aggregate": {"period": "W-FRIDAY"}})


def test_a_period_on_a_static_source_is_an_error() -> None:
    with pytest.raises(ConfigError, match="a static source has none"):
        parse(
            {
                "name": "stores",
                "kind": "static",
                "path": "s.csv",
                "aggregate": {"period": "D", "columns": {}},
            }
        )
