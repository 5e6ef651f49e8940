"""What the routes call: one tracker, one registry and the promotion policies of the served fleets.

The control plane opens the metadata store on first use (so building the app costs nothing and a
store that is down answers 503 per request instead of stopping the server) and shares it between
requests; SQLAlchemy's connection pool makes that safe across FastAPI's worker threads.

Promotion policies come from fleet specs the server is started with (``modelfleet server --spec
fleet.yaml``), looked up by fleet name. A request never carries a policy or a spec path: the
policy is the operator's decision, and a server must not read files a request names.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from modelfleet.config.settings import Settings
from modelfleet.config.spec import FleetSpec, load_spec
from modelfleet.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    from modelfleet.registry.policy import PromotionPolicy
    from modelfleet.registry.service import Registry
    from modelfleet.tracking.tracker import Tracker


def load_specs(paths: Sequence[Path]) -> dict[str, FleetSpec]:
    """Fleet specs by fleet name; two files declaring the same fleet are a ConfigError."""
    specs: dict[str, FleetSpec] = {}
    origin: dict[str, Path] = {}
    for path in paths:
        spec = load_spec(path)
        if spec.name in specs:
            raise ConfigError(
                f"{path} and {origin[spec.name]} both declare fleet {spec.name!r}; "
                "serve one spec per fleet"
            )
        specs[spec.name] = spec
        origin[spec.name] = path
    return specs


class ControlPlane:
    """The tracker, registry and policies one server works with."""

    def __init__(
        self, settings: Settings, specs: Mapping[str, FleetSpec], default_actor: str
    ) -> None:
        self.settings = settings
        self.specs = dict(specs)
        self.default_actor = default_actor
        self._lock = threading.Lock()
        self._tracker: Tracker | None = None
        self._registry: Registry | None = None
        self._policies: dict[str, PromotionPolicy] = {}

    @property
    def tracker(self) -> Tracker:
        """The run tracker over the settings' metadata store (opened once, on first use)."""
        with self._lock:
            if self._tracker is None:
                from modelfleet.tracking.tracker import Tracker

                self._tracker = Tracker.open(self.settings.store_url)
            return self._tracker

    @property
    def registry(self) -> Registry:
        """The model registry over the same stores (opened once, on first use)."""
        with self._lock:
            if self._registry is None:
                from modelfleet.registry.service import Registry

                self._registry = Registry.open(self.settings.store_url, self.settings.artifacts_url)
            return self._registry

    def actor(self, given: str | None) -> str:
        """Who a write is recorded as: the request's ``actor``, else the server's user."""
        return given if given else self.default_actor

    def spec(self, fleet: str) -> FleetSpec | None:
        """The spec of a served fleet, if the server was started with one."""
        return self.specs.get(fleet)

    def policy(self, fleet: str) -> PromotionPolicy:
        """The promotion policy of ``fleet``; NotFoundError when no spec for it was loaded."""
        spec = self.specs.get(fleet)
        if spec is None:
            served = ", ".join(sorted(self.specs)) or "none"
            raise NotFoundError(
                f"this server has no promotion policy for fleet {fleet!r} (fleets served: "
                f"{served}); start it with --spec path/to/{fleet}/fleet.yaml"
            )
        with self._lock:
            if fleet not in self._policies:
                from modelfleet.registry.policy import PromotionPolicy

                self._policies[fleet] = PromotionPolicy.from_spec(spec)
            return self._policies[fleet]

    def close(self) -> None:
        """Release database connections."""
        with self._lock:
            if self._registry is not None:
                self._registry.close()
                self._registry = None
            if self._tracker is not None:
                self._tracker.close()
                self._tracker = None
