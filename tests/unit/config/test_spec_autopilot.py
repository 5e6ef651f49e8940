"""The monitoring.autopilot block: defaults, parsed rules, and bad values named by field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from modelfleet.config.spec import load_spec
from modelfleet.errors import ConfigError, PromotionError
from modelfleet.monitoring.autopilot.service import rules_of


def test_without_an_autopilot_block_the_stated_defaults_apply(
    minimal_spec: dict[str, Any], write_spec: Callable[..., Path]
) -> None:
    block = load_spec(write_spec(minimal_spec), "prod").monitoring.autopilot

    assert (block.retrain.on_drift, block.retrain.schedule, block.retrain.cooldown) == (
        True,
        None,
        "7d",
    )
    assert (block.rollout.mode, block.rollout.share, block.rollout.min_pairs) == ("canary", 0.1, 30)
    assert block.approval == ()


def test_the_rules_carry_the_parsed_durations_and_the_earlier_environments(
    minimal_spec: dict[str, Any], write_spec: Callable[..., Path]
) -> None:
    minimal_spec["environments"] = {"dev": {}, "staging": {}, "prod": {}}
    minimal_spec["promotion"] = {"order": ["dev", "staging", "prod"]}
    minimal_spec["monitoring"] = {
        "autopilot": {"retrain": {"schedule": "30d"}, "rollout": {"max_duration": "2w"}},
        "performance": {"max_drop": 0.1},
    }
    spec = load_spec(write_spec(minimal_spec), "prod")

    rules = rules_of(spec, "prod")

    assert rules.earlier == ("dev", "staging")
    assert (rules.schedule, rules.max_duration) == (timedelta(days=30), timedelta(weeks=2))
    assert rules.max_drop == 0.1


def test_an_environment_off_the_promotion_order_is_refused_naming_the_order(
    minimal_spec: dict[str, Any], write_spec: Callable[..., Path]
) -> None:
    minimal_spec["environments"] = {"dev": {}, "prod": {}}
    spec = load_spec(write_spec(minimal_spec), "prod")

    with pytest.raises(PromotionError, match="dev -> prod"):
        rules_of(spec, "qa")


@pytest.mark.parametrize(
    ("block", "field", "says"),
    [
        ({"retrain": {"cooldown": "0d"}}, "autopilot.retrain.cooldown", "longer than zero"),
        ({"retrain": {"schedule": "soon"}}, "autopilot.retrain.schedule", "not a duration"),
        ({"rollout": {"mode": "yolo"}}, "autopilot.rollout.mode", "canary"),
        ({"rollout": {"share": 1.5}}, "autopilot.rollout.share", "less than 1"),
        (
            {"rollout": {"min_pairs": 2}},
            "autopilot.rollout.min_pairs",
            "greater than or equal to 5",
        ),
        ({"approval": ["deploy"]}, "autopilot.approval.0", "retrain"),
        ({"retrian": {}}, "autopilot.retrian", "unknown key"),
        ({"lease": -1}, "autopilot.lease", "string"),
    ],
)
def test_a_bad_autopilot_value_is_named_by_its_field(
    minimal_spec: dict[str, Any],
    write_spec: Callable[..., Path],
    block: dict[str, Any],
    field: str,
    says: str,
) -> None:
    minimal_spec["monitoring"] = {"autopilot": block}

    with pytest.raises(ConfigError) as caught:
        load_spec(write_spec(minimal_spec), "prod")

    assert field in str(caught.value) and says in str(caught.value)


def test_the_autopilot_policy_does_not_change_what_a_tenant_trains(
    minimal_spec: dict[str, Any], write_spec: Callable[..., Path]
) -> None:
    plain = load_spec(write_spec(minimal_spec, "a.yaml"), "prod")
    minimal_spec["monitoring"] = {"autopilot": {"rollout": {"mode": "shadow"}}}
    changed = load_spec(write_spec(minimal_spec, "b.yaml"), "prod")

    assert plain.training_hash() == changed.training_hash()
