"""A fleet spec given by path or by value, checked to be the spec of the fleet it is used for."""

from __future__ import annotations

from pathlib import Path

from modelfleet.config.spec import FleetSpec, load_spec
from modelfleet.errors import UsageError

SpecLike = str | Path | FleetSpec


def load_spec_like(spec: SpecLike | None) -> FleetSpec | None:
    """``spec`` loaded when it is a path; a spec or None as given."""
    return spec if spec is None or isinstance(spec, FleetSpec) else load_spec(spec)


def spec_for(fleet: str, spec: SpecLike) -> FleetSpec:
    """``spec`` loaded (if a path), after checking it declares ``fleet``."""
    loaded = spec if isinstance(spec, FleetSpec) else load_spec(spec)
    if loaded.name != fleet:
        raise UsageError(
            f"the spec declares fleet {loaded.name!r}, not {fleet!r}: pass the fleet.yaml of "
            f"{fleet!r}"
        )
    return loaded
