"""The serving: block: routing per environment through the overlays, bad values named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelfleet.config.spec import load_spec
from modelfleet.errors import ConfigError


def test_without_a_serving_block_every_request_goes_to_the_champion(
    minimal_spec: dict[str, Any], write_spec: Callable[..., Path]
) -> None:
    spec = load_spec(write_spec(minimal_spec), "prod")

    assert spec.serving.routing.mode == "champion"
    assert spec.serving.routing.challenger_share == 0.0


def test_an_environment_overlay_sets_that_environments_routing(
    minimal_spec: dict[str, Any], write_spec: Callable[..., Path]
) -> None:
    minimal_spec["environments"] = {
        "prod": {"serving": {"routing": {"mode": "canary", "share": 0.02}}},
        "staging": {},
    }
    path = write_spec(minimal_spec)

    prod, staging = load_spec(path, "prod"), load_spec(path, "staging")

    assert (prod.serving.routing.mode, prod.serving.routing.challenger_share) == ("canary", 0.02)
    assert staging.serving.routing.mode == "champion"


def test_routing_does_not_change_what_a_tenant_trains(
    minimal_spec: dict[str, Any], write_spec: Callable[..., Path]
) -> None:
    plain = load_spec(write_spec(minimal_spec, "a.yaml"), "prod")
    minimal_spec["serving"] = {"routing": {"mode": "ab"}}
    routed = load_spec(write_spec(minimal_spec, "b.yaml"), "prod")

    assert plain.training_hash() == routed.training_hash()


@pytest.mark.parametrize(
    ("routing", "where"),
    [
        ({"mode": "blue-green"}, "mode"),
        ({"mode": "ab", "share": 2}, "share"),
        ({"typo": 1}, "typo"),
    ],
)
def test_a_bad_routing_value_names_the_field(
    minimal_spec: dict[str, Any],
    write_spec: Callable[..., Path],
    routing: dict[str, Any],
    where: str,
) -> None:
    minimal_spec["serving"] = {"routing": routing}

    with pytest.raises(ConfigError, match=rf"serving\.routing\.{where}"):
        load_spec(write_spec(minimal_spec), "prod")
