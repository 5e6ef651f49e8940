"""The limits block: validated, overridable per tenant, and not part of what trains a model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelfleet.config.spec import FleetSpec, parse_spec
from modelfleet.errors import ConfigError


def parse(data: dict[str, Any]) -> FleetSpec:
    return parse_spec(data, base_dir=Path(), file_label="fleet.yaml")


def spec_with(**extra: Any) -> dict[str, Any]:
    return {
        "name": "limits-fleet",
        "schema": {"tenant_key": "store", "timestamp": "date", "target": "sales"},
        "sources": [{"name": "sales", "path": "sales.csv"}],
        **extra,
    }


def test_limits_default_to_none() -> None:
    limits = parse(spec_with()).limits

    assert (limits.memory_mb, limits.seconds) == (None, None)


def test_a_tenant_override_sets_its_own_limits() -> None:
    spec = parse(
        spec_with(
            limits={"seconds": 600},
            tenants={"overrides": {"7": {"limits": {"memory_mb": 2048}}}},
        )
    )

    limits = spec.for_tenant("7").limits
    assert (limits.memory_mb, limits.seconds) == (2048, 600)


def test_changing_limits_does_not_retrain_a_tenant() -> None:
    plain = parse(spec_with()).for_tenant("1")
    limited = parse(spec_with(limits={"seconds": 5, "memory_mb": 100})).for_tenant("1")

    assert plain.training_hash() == limited.training_hash()


@pytest.mark.parametrize("value", [0, -1, "lots"])
def test_a_limit_must_be_a_positive_number(value: object) -> None:
    with pytest.raises(ConfigError, match=r"limits\.seconds"):
        parse(spec_with(limits={"seconds": value}))


def test_an_unknown_limit_is_refused() -> None:
    with pytest.raises(ConfigError, match="limits"):
        parse(spec_with(limits={"cpus": 2}))
