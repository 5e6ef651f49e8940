"""The monitoring: block: drift thresholds per environment, defaults, bad values named."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from modelfleet.config.spec import load_spec
from modelfleet.errors import ConfigError
from modelfleet.monitoring.service import policy_of


def test_without_a_monitoring_block_the_stated_defaults_apply(
    minimal_spec: dict[str, Any], write_spec: Callable[..., Path]
) -> None:
    drift = load_spec(write_spec(minimal_spec), "prod").monitoring.drift

    assert (drift.alpha, drift.drift_share, drift.min_rows) == (0.05, 0.2, 30)
    assert drift.window_span == timedelta(days=7)


def test_calendar_features_are_left_out_unless_asked_for(
    minimal_spec: dict[str, Any], write_spec: Callable[..., Path]
) -> None:
    plain = load_spec(write_spec(minimal_spec, "a.yaml"), "prod").monitoring.drift
    minimal_spec["monitoring"] = {"drift": {"calendar": True, "exclude": ["store_id"]}}
    asked = load_spec(write_spec(minimal_spec, "b.yaml"), "prod").monitoring.drift

    assert {"cal_month", "cal_dayofweek"} <= plain.excluded
    assert asked.excluded == {"store_id"}
    assert policy_of(asked).exclude == frozenset({"store_id"})


def test_an_environment_overlay_sets_that_environments_thresholds(
    minimal_spec: dict[str, Any], write_spec: Callable[..., Path]
) -> None:
    minimal_spec["environments"] = {"prod": {"monitoring": {"drift": {"alpha": 0.01}}}, "dev": {}}
    path = write_spec(minimal_spec)

    assert load_spec(path, "prod").monitoring.drift.alpha == 0.01
    assert load_spec(path, "dev").monitoring.drift.alpha == 0.05


def test_monitoring_thresholds_do_not_change_what_a_tenant_trains(
    minimal_spec: dict[str, Any], write_spec: Callable[..., Path]
) -> None:
    plain = load_spec(write_spec(minimal_spec, "a.yaml"), "prod")
    minimal_spec["monitoring"] = {"drift": {"alpha": 0.01, "window": "30d"}}
    watched = load_spec(write_spec(minimal_spec, "b.yaml"), "prod")

    assert plain.training_hash() == watched.training_hash()


@pytest.mark.parametrize(
    ("drift", "where"),
    [
        ({"alpha": 0}, "monitoring.drift.alpha"),
        ({"alpha": 1.5}, "monitoring.drift.alpha"),
        ({"drift_share": -0.1}, "monitoring.drift.drift_share"),
        ({"min_rows": 0}, "monitoring.drift.min_rows"),
        ({"psi_bins": 1}, "monitoring.drift.psi_bins"),
        ({"window": "soon"}, "monitoring.drift.window"),
        ({"window": "0d"}, "monitoring.drift.window"),
        ({"alpah": 0.1}, "monitoring.drift.alpah"),
    ],
)
def test_a_bad_drift_value_names_the_field(
    minimal_spec: dict[str, Any],
    write_spec: Callable[..., Path],
    drift: dict[str, Any],
    where: str,
) -> None:
    minimal_spec["monitoring"] = {"drift": drift}

    with pytest.raises(ConfigError, match=where.replace(".", r"\.")):
        load_spec(write_spec(minimal_spec), "prod")


def test_the_performance_block_has_the_stated_defaults_and_refuses_bad_values(
    minimal_spec: dict[str, Any], write_spec: Callable[..., Path]
) -> None:
    block = load_spec(write_spec(minimal_spec, "a.yaml"), "prod").monitoring.performance
    assert (block.max_drop, block.min_rows, block.window, block.max_delay) == (
        0.05,
        7,
        "28d",
        "30d",
    )

    minimal_spec["monitoring"] = {"performance": {"max_drop": 2, "max_delay": "later"}}
    with pytest.raises(ConfigError) as refused:
        load_spec(write_spec(minimal_spec, "b.yaml"), "prod")
    assert "monitoring.performance.max_drop" in str(refused.value)
    assert "monitoring.performance.max_delay" in str(refused.value)
