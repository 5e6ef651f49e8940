"""What the routes call: the local plane over the server's stores, and the served fleets' specs.

The stores open on first use (so building the app costs nothing and a store that is down
answers 503 per request instead of stopping the server) and are shared between requests;
SQLAlchemy's connection pool makes that safe across FastAPI's worker threads.

Each request gets the plane *as its caller*, which the server derives itself: with auth on
(``MODELFLEET_AUTH=on``) the principal of its bearer token, whose grants every read and write
is checked against; with auth off, the account the server runs as. A request body never names
its actor. Promotion policies, and the tenants and lateness setting feedback needs, come
from the fleet specs the server is started with (``modelfleet server --spec fleet.yaml``); a
request never carries a policy or a spec path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from fastapi import Request

from modelfleet.caller import Caller
from modelfleet.client.local import LocalPlane
from modelfleet.config.settings import Settings
from modelfleet.config.spec import FleetSpec, load_spec
from modelfleet.errors import ConfigError, NotFoundError


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
    """The server's plane, its identity and the specs of the fleets it serves."""

    def __init__(
        self, settings: Settings, specs: Mapping[str, FleetSpec], server_user: str
    ) -> None:
        self.settings = settings
        self.specs = dict(specs)
        self.server_caller = Caller(server_user, via="http")
        self.local: LocalPlane
        if settings.auth:
            from modelfleet.client.guarded import GuardedPlane
            from modelfleet.governance.service import RolePolicy

            self.local = GuardedPlane.with_policy(settings, self.server_caller, RolePolicy)
        else:
            self.local = LocalPlane(settings, self.server_caller)

    def caller(self, request: Request) -> Caller:
        """Who ``request`` acts as: derived by the server, never read from the request.

        With auth on, the identity its bearer token proves (401 without a valid one); with auth
        off, the account the server runs as.
        """
        if not self.settings.auth:
            return self.server_caller
        from modelfleet.governance.service import Authority

        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        given = token.strip() if scheme.lower() == "bearer" else ""
        return Authority(self.local.metadata_store()).authenticate(given or None)

    def plane(self, request: Request) -> LocalPlane:
        """The plane acting as the request's caller."""
        return self.local.as_caller(self.caller(request))

    def spec(self, fleet: str) -> FleetSpec | None:
        """The spec of a served fleet, if the server was started with one."""
        return self.specs.get(fleet)

    def policy_spec(self, fleet: str) -> FleetSpec:
        """The spec whose promotion policy applies to ``fleet``; NotFoundError when none."""
        spec = self.specs.get(fleet)
        if spec is None:
            served = ", ".join(sorted(self.specs)) or "none"
            raise NotFoundError(
                f"this server has no promotion policy for fleet {fleet!r} (fleets served: "
                f"{served}); start it with --spec path/to/{fleet}/fleet.yaml"
            )
        return spec

    def served_spec(self, fleet: str, purpose: str) -> FleetSpec:
        """The spec of a served fleet that ``purpose`` needs; NotFoundError naming how to serve
        it when the server was started without one."""
        spec = self.specs.get(fleet)
        if spec is None:
            served = ", ".join(sorted(self.specs)) or "none"
            raise NotFoundError(
                f"this server has no spec of fleet {fleet!r}, which {purpose} needs (fleets "
                f"served: {served}); start it with --spec path/to/{fleet}/fleet.yaml"
            )
        return spec

    def close(self) -> None:
        """Release database connections."""
        self.local.close()
