"""``/api/v1/runs`` and ``/api/v1/fleet-runs``: what training recorded."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from modelfleet.api.params import (
    EnvQuery,
    FleetQuery,
    LimitQuery,
    RunIdPath,
    TenantQuery,
)
from modelfleet.api.responses import LOOKUP_ERRORS
from modelfleet.api.routes.deps import Plane
from modelfleet.tracking.queries import RunQuery
from modelfleet.wire import FleetRunOut, RunOut

router = APIRouter(prefix="/api/v1", tags=["runs"], responses=LOOKUP_ERRORS)


@router.get("/runs", response_model=list[RunOut])
def list_runs(
    plane: Plane,
    fleet: FleetQuery = None,
    tenant: TenantQuery = None,
    status: Annotated[
        Literal["succeeded", "rejected", "failed"] | None, Query(description="only this status")
    ] = None,
    env: EnvQuery = None,
    fleet_run_id: Annotated[
        str | None, Query(pattern=r"^[0-9a-f]{32}$", description="only this fleet run")
    ] = None,
    limit: LimitQuery = 100,
) -> list[RunOut]:
    """Tenant runs matching every filter, newest first."""
    query = RunQuery(
        fleet=fleet,
        tenant=tenant,
        status=status,
        environment=env,
        fleet_run_id=fleet_run_id,
        limit=limit,
    )
    return [RunOut.of(r) for r in plane.runs(query)]


@router.get("/runs/{run_id}", response_model=RunOut)
def get_run(plane: Plane, run_id: RunIdPath) -> RunOut:
    """One tenant run by id or unique id prefix (6+ characters)."""
    return RunOut.of(plane.run(run_id))


@router.get("/fleet-runs", response_model=list[FleetRunOut])
def list_fleet_runs(
    plane: Plane, fleet: FleetQuery = None, limit: LimitQuery = 20
) -> list[FleetRunOut]:
    """Fleet runs (one per ``train`` invocation), newest first."""
    return [FleetRunOut.of(r) for r in plane.fleet_runs(fleet, limit)]


@router.get("/fleet-runs/{fleet_run_id}", response_model=FleetRunOut)
def get_fleet_run(plane: Plane, fleet_run_id: RunIdPath) -> FleetRunOut:
    """One fleet run by its full id."""
    return FleetRunOut.of(plane.fleet_run(fleet_run_id))
