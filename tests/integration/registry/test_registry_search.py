"""Search over versions by fleet, tenant, tag, environment, status and metric thresholds."""

from __future__ import annotations

import math
from typing import cast

import pytest

from modelfleet.errors import UsageError
from modelfleet.registry import MetricFilter, ModelVersion, Registry, VersionStatus

from .conftest import SIGNATURE, Add, build_run


@pytest.fixture
def fleet(registry: Registry, add: Add) -> Registry:
    """s1 (prod, wmape 0.35), s2 (prod, 0.1), s3 (dev, 0.5), other/s1 (prod, 0.4)."""
    for tenant, wmape, env in (("s1", 0.35, "prod"), ("s2", 0.1, "prod"), ("s3", 0.5, "dev")):
        add(tenant, wmape=wmape, tags={"region": "north" if tenant != "s3" else "south"})
        registry.set_alias(f"demand/{tenant}", env, "1.0.0", caller="a", reason="")
    add("s1", wmape=0.6)  # a newer version of s1, not in any environment
    other = build_run("s1", wmape=0.4, fleet="other")
    registry.register(other, SIGNATURE, caller="a")
    registry.set_alias("other/s1", "prod", "1.0.0", caller="a", reason="")
    return registry


def refs(found: list[ModelVersion]) -> list[str]:
    return [v.ref for v in found]


def test_prod_models_above_a_wmape_threshold(fleet: Registry) -> None:
    found = fleet.search(environment="prod", metrics=[MetricFilter("wmape", ">", 0.3)])

    assert refs(found) == ["demand/s1:1.0.0", "other/s1:1.0.0"]


def test_filters_combine_fleet_environment_and_metrics(fleet: Registry) -> None:
    found = fleet.search(fleet="demand", environment="prod", metrics=["wmape>0.3"])

    assert refs(found) == ["demand/s1:1.0.0"]


def test_search_by_tenant_lists_its_versions_newest_first(fleet: Registry) -> None:
    assert refs(fleet.search(fleet="demand", tenant="s1")) == [
        "demand/s1:1.1.0",
        "demand/s1:1.0.0",
    ]


def test_search_by_tag(fleet: Registry) -> None:
    assert refs(fleet.search(tags={"region": "south"})) == ["demand/s3:1.0.0"]
    assert refs(fleet.search(tags={"region": "north", "fleet": "demand"}, status="active")) == [
        "demand/s1:1.0.0",
        "demand/s2:1.0.0",
    ]


def test_search_by_status(fleet: Registry) -> None:
    assert refs(fleet.search(status="candidate")) == ["demand/s1:1.1.0"]


def test_search_by_baseline_metric(fleet: Registry) -> None:
    found = fleet.search(metrics=[MetricFilter("wmape", "=", 0.3, scope="baseline")], limit=None)

    assert len(found) == 5


def test_latest_only_keeps_the_newest_match_per_model(fleet: Registry) -> None:
    found = fleet.search(fleet="demand", latest_only=True)

    assert refs(found) == ["demand/s1:1.1.0", "demand/s2:1.0.0", "demand/s3:1.0.0"]


def test_limit_caps_the_results(fleet: Registry) -> None:
    assert len(fleet.search(limit=2)) == 2
    assert len(fleet.search(limit=None)) == 5


def test_a_nan_metric_matches_no_threshold(registry: Registry, add: Add) -> None:
    add("s1", wmape=math.nan)

    assert registry.search(metrics=["wmape>0"]) == []
    assert registry.search(metrics=["wmape<=1e9"]) == []
    assert math.isnan(registry.resolve("demand/s1").metrics["wmape"])


def test_bad_search_arguments_are_usage_errors(registry: Registry) -> None:
    with pytest.raises(UsageError, match="status"):
        registry.search(status=cast(VersionStatus, "live"))
    with pytest.raises(UsageError, match="METRIC OP NUMBER"):
        registry.search(metrics=["wmape>>1"])
