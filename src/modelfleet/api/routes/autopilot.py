"""``/api/v1/autopilot/actions``: what the autopilot did or waits to do; approve or reject."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from modelfleet.api.params import EnvQuery, FleetQuery, LimitQuery
from modelfleet.api.responses import WRITE_ERRORS
from modelfleet.api.routes.deps import Plane
from modelfleet.wire.autopilot import AutopilotActionOut
from modelfleet.wire.requests import WriteIn

router = APIRouter(prefix="/api/v1/autopilot", tags=["autopilot"], responses=WRITE_ERRORS)

StatusQuery = Annotated[
    Literal["done", "failed", "pending", "approved", "rejected", "skipped", "expired"] | None,
    Query(description="only this status (pending: what waits for approval)"),
]
ActionIdPath = Annotated[int, Path(ge=1, le=2**62, description="the action's id")]


@router.get("/actions", response_model=list[AutopilotActionOut])
def list_actions(
    plane: Plane,
    fleet: FleetQuery = None,
    env: EnvQuery = None,
    status: StatusQuery = None,
    limit: LimitQuery = 100,
) -> list[AutopilotActionOut]:
    """The autopilot's actions, newest first."""
    return [
        AutopilotActionOut.of_row(r) for r in plane.autopilot_actions(fleet, env, status, limit)
    ]


@router.post("/actions/{action_id}/approve", response_model=AutopilotActionOut)
def approve(plane: Plane, action_id: ActionIdPath, body: WriteIn) -> AutopilotActionOut:
    """Approve a pending step as the caller: the next pass carries it out."""
    return AutopilotActionOut.of_row(plane.decide_action(action_id, "approved", body.reason))


@router.post("/actions/{action_id}/reject", response_model=AutopilotActionOut)
def reject(plane: Plane, action_id: ActionIdPath, body: WriteIn) -> AutopilotActionOut:
    """Reject a pending step as the caller: it is not carried out while its facts stand."""
    return AutopilotActionOut.of_row(plane.decide_action(action_id, "rejected", body.reason))
