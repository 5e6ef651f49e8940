"""Registry writes: register, promote, approve, roll back, set aliases, archive, edit metadata.

Each route calls one verb of the request's plane, which writes as the caller the server derived
(a body never names its actor); ``reason`` goes into the history. Promotion applies the policy
of the fleet spec the server was started with (404 if none).
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from modelfleet.api.params import (
    AliasPath,
    BatchIdPath,
    FleetPath,
    RunIdPath,
    TenantPath,
    VersionPath,
)
from modelfleet.api.responses import WRITE_ERRORS
from modelfleet.api.routes.deps import Control, Plane
from modelfleet.wire import (
    AliasIn,
    ApproveIn,
    BatchRollbackIn,
    FleetPromoteIn,
    MetadataPatchIn,
    ModelEventOut,
    ModelVersionOut,
    PromoteIn,
    PromotionBatchOut,
    PromotionOutcomeOut,
    RegisterIn,
    RollbackIn,
    WriteIn,
)

router = APIRouter(prefix="/api/v1", tags=["lifecycle"], responses=WRITE_ERRORS)


@router.post("/runs/{run_id}/register", response_model=ModelVersionOut)
def register(plane: Plane, run_id: RunIdPath, body: RegisterIn) -> ModelVersionOut:
    """Make a succeeded run a candidate version (again: the version it already is)."""
    return ModelVersionOut.of(plane.register(run_id, body.tags, body.description))


@router.post("/models/{fleet}/{tenant}/promote", response_model=PromotionOutcomeOut)
def promote(
    control: Control, plane: Plane, fleet: FleetPath, tenant: TenantPath, body: PromoteIn
) -> PromotionOutcomeOut:
    """Move a version into an environment if the fleet's policy allows it; the outcome says why."""
    spec = control.policy_spec(fleet)
    outcome = plane.promote(f"{fleet}/{tenant}", body.environment, body.version, body.reason, spec)
    return PromotionOutcomeOut.of(outcome)


@router.post("/fleets/{fleet}/promote", response_model=PromotionBatchOut)
def promote_fleet(
    control: Control, plane: Plane, fleet: FleetPath, body: FleetPromoteIn
) -> PromotionBatchOut:
    """Promote every model of a fleet whose candidate passes; one outcome per tenant."""
    spec = control.policy_spec(fleet)
    return PromotionBatchOut.of(plane.promote_fleet(fleet, body.environment, body.reason, spec))


@router.post("/models/{fleet}/{tenant}/approve", response_model=ModelEventOut)
def approve(plane: Plane, fleet: FleetPath, tenant: TenantPath, body: ApproveIn) -> ModelEventOut:
    """Record a human's approval of a version for an environment."""
    event = plane.approve(f"{fleet}/{tenant}", body.version, body.environment, body.reason)
    return ModelEventOut.of(event)


@router.post("/models/{fleet}/{tenant}/rollback", response_model=ModelEventOut)
def rollback(plane: Plane, fleet: FleetPath, tenant: TenantPath, body: RollbackIn) -> ModelEventOut:
    """Point an environment back at the version it held before its last move."""
    return ModelEventOut.of(plane.rollback(f"{fleet}/{tenant}", body.environment, body.reason))


@router.post("/batches/{batch_id}/rollback", response_model=list[ModelEventOut])
def rollback_batch(
    plane: Plane, batch_id: BatchIdPath, body: BatchRollbackIn
) -> list[ModelEventOut]:
    """Undo every alias move of one fleet promotion."""
    events = plane.rollback_batch(batch_id, body.reason, body.skip_moved)
    return [ModelEventOut.of(e) for e in events]


@router.put("/models/{fleet}/{tenant}/aliases/{alias}", response_model=ModelEventOut)
def set_alias(
    plane: Plane, fleet: FleetPath, tenant: TenantPath, alias: AliasPath, body: AliasIn
) -> ModelEventOut:
    """Point any alias (champion, challenger, an environment) at a version; no policy asked."""
    event = plane.set_alias(f"{fleet}/{tenant}", alias, body.version, body.reason)
    return ModelEventOut.of(event)


@router.delete("/models/{fleet}/{tenant}/aliases/{alias}", response_model=ModelEventOut)
def remove_alias(
    plane: Plane, fleet: FleetPath, tenant: TenantPath, alias: AliasPath, body: WriteIn
) -> ModelEventOut:
    """Delete an alias; the version it pointed at stays."""
    return ModelEventOut.of(plane.remove_alias(f"{fleet}/{tenant}", alias, body.reason))


@router.post("/models/{fleet}/{tenant}/versions/{version}/archive", response_model=ModelEventOut)
def archive(
    plane: Plane, fleet: FleetPath, tenant: TenantPath, version: VersionPath, body: WriteIn
) -> ModelEventOut:
    """Retire a version: still readable, never promoted again; refused while an alias uses it."""
    return ModelEventOut.of(plane.archive(f"{fleet}/{tenant}", version, body.reason))


@router.delete("/models/{fleet}/{tenant}/versions/{version}", status_code=204)
def delete_version(
    plane: Plane, fleet: FleetPath, tenant: TenantPath, version: VersionPath, body: WriteIn
) -> Response:
    """Delete a version's record (its artifacts and history stay); refused while aliased."""
    plane.delete_version(f"{fleet}/{tenant}", version, body.reason)
    return Response(status_code=204)


@router.patch("/models/{fleet}/{tenant}/versions/{version}", response_model=ModelVersionOut)
def update_metadata(
    plane: Plane, fleet: FleetPath, tenant: TenantPath, version: VersionPath, body: MetadataPatchIn
) -> ModelVersionOut:
    """Change tags (merged) and/or the description: answers the new PATCH version."""
    updated = plane.update_metadata(
        f"{fleet}/{tenant}:{version}", body.tags, body.description, body.reason
    )
    return ModelVersionOut.of(updated)
