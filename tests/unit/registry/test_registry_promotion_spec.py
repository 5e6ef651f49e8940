"""The promotion block of fleet.yaml and the policy it declares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelfleet.config.spec import FleetSpec, parse_spec
from modelfleet.errors import ConfigError
from modelfleet.registry import PromotionPolicy, StepRule


def spec(promotion: dict[str, Any] | None = None, **extra: Any) -> FleetSpec:
    body: dict[str, Any] = {
        "name": "demand",
        "schema": {"tenant_key": "store", "timestamp": "date", "target": "sales"},
        "sources": [{"name": "sales", "path": "sales.csv"}],
        **extra,
    }
    if promotion is not None:
        body["promotion"] = promotion
    return parse_spec(body, base_dir=Path(), file_label="fleet.yaml")


def test_without_a_promotion_block_the_order_is_the_declared_environments() -> None:
    policy = PromotionPolicy.from_spec(spec())

    assert policy == PromotionPolicy(("dev", "staging", "prod"), False, {}, "wmape")


def test_the_promotion_block_becomes_the_policy() -> None:
    declared = spec(
        {
            "order": ["dev", "prod"],
            "allow_skip": True,
            "steps": {"prod": {"min_improvement": 0.05, "max_regression": 0.02, "approval": True}},
        },
        gates={"metric": "mae"},
    )

    policy = PromotionPolicy.from_spec(declared)

    assert policy.order == ("dev", "prod")
    assert policy.allow_skip
    assert policy.steps == {"prod": StepRule(0.05, 0.02, True)}
    assert policy.metric == "mae"


@pytest.mark.parametrize(
    ("promotion", "message"),
    [
        ({"order": ["dev", "qa"]}, r"promotion\.order: \['qa'\] are not declared environments"),
        ({"steps": {"live": {}}}, r"promotion\.steps: \['live'\] are not declared"),
        ({"order": ["dev", "dev"]}, "repeated"),
        ({"steps": {"prod": {"max_regression": -0.1}}}, "max_regression"),
        ({"steps": {"prod": {"aproval": True}}}, "unknown key"),
    ],
)
def test_a_bad_promotion_block_names_the_field(promotion: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        spec(promotion)
