"""Run-time traffic of a tenant in an environment: set, read, clear (``modelfleet traffic``)."""

from __future__ import annotations

from fastapi import APIRouter

from modelfleet.api.params import AliasPath, FleetPath, TenantPath
from modelfleet.api.responses import WRITE_ERRORS
from modelfleet.api.routes.deps import Plane
from modelfleet.config.serving_blocks import RoutingSpec
from modelfleet.errors import UsageError
from modelfleet.wire.registry import ModelEventOut, TrafficOut
from modelfleet.wire.requests import TrafficIn, WriteIn

router = APIRouter(prefix="/api/v1/models", tags=["traffic"], responses=WRITE_ERRORS)


@router.put("/{fleet}/{tenant}/traffic/{environment}", response_model=ModelEventOut)
def set_traffic(
    plane: Plane, fleet: FleetPath, tenant: TenantPath, environment: AliasPath, body: TrafficIn
) -> ModelEventOut:
    """Route the tenant's requests in the environment from now on; the event recording it."""
    try:
        routing = RoutingSpec.model_validate(
            {"mode": body.mode, "share": body.share, "challenger": body.challenger}
        )
    except ValueError as exc:
        raise UsageError(f"traffic for {fleet}/{tenant}@{environment}: {exc}") from exc
    event = plane.set_traffic(f"{fleet}/{tenant}", environment, routing, body.reason)
    return ModelEventOut.of(event)


@router.get("/{fleet}/{tenant}/traffic/{environment}", response_model=TrafficOut | None)
def get_traffic(
    plane: Plane, fleet: FleetPath, tenant: TenantPath, environment: AliasPath
) -> TrafficOut | None:
    """The tenant's run-time routing in the environment; null where the spec's applies."""
    setting = plane.traffic(f"{fleet}/{tenant}", environment)
    return None if setting is None else TrafficOut.of_setting(setting)


@router.delete("/{fleet}/{tenant}/traffic/{environment}", response_model=ModelEventOut)
def clear_traffic(
    plane: Plane, fleet: FleetPath, tenant: TenantPath, environment: AliasPath, body: WriteIn
) -> ModelEventOut:
    """Go back to the spec's routing; the event recording it."""
    return ModelEventOut.of(plane.clear_traffic(f"{fleet}/{tenant}", environment, body.reason))
