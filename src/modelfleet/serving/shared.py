"""Helpers the two Python faces share (:class:`~modelfleet.client.Client` and
:class:`~modelfleet.remote.RemoteClient` may not import each other): the default actor and the
spec of a fleet.
"""

from __future__ import annotations

import getpass
from pathlib import Path

from modelfleet.config.spec import FleetSpec, load_spec
from modelfleet.errors import UsageError

SpecLike = str | Path | FleetSpec


def local_user() -> str:
    """Who registry writes are recorded as by default: the local login name."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return "unknown"


def spec_for(fleet: str, spec: SpecLike) -> FleetSpec:
    """``spec`` loaded (if a path), after checking it declares ``fleet``."""
    loaded = spec if isinstance(spec, FleetSpec) else load_spec(spec)
    if loaded.name != fleet:
        raise UsageError(
            f"the spec declares fleet {loaded.name!r}, not {fleet!r}: pass the fleet.yaml of "
            f"{fleet!r}"
        )
    return loaded
