"""Registry writes: register, promote, approve, roll back, set aliases, archive, edit metadata.

Each body names its ``actor`` (the server's user when left out) and a ``reason`` for the history.
Promotion applies the policy of the fleet spec the server was started with (404 if none).
"""

from __future__ import annotations

from fastapi import APIRouter

from modelfleet.serving.params import (
    AliasPath,
    BatchIdPath,
    FleetPath,
    RunIdPath,
    TenantPath,
    VersionPath,
)
from modelfleet.serving.routes.deps import Plane
from modelfleet.serving.schemas import (
    AliasIn,
    ApproveIn,
    BatchRollbackIn,
    ErrorOut,
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

router = APIRouter(
    prefix="/api/v1",
    tags=["lifecycle"],
    responses={
        404: {"model": ErrorOut},
        409: {"model": ErrorOut, "description": "conflicts with the current state"},
        422: {"model": ErrorOut},
        503: {"model": ErrorOut},
    },
)


@router.post("/runs/{run_id}/register", response_model=ModelVersionOut)
def register(plane: Plane, run_id: RunIdPath, body: RegisterIn) -> ModelVersionOut:
    """Make a succeeded run a candidate version (again: the version it already is)."""
    run = plane.tracker.get_run(run_id)
    version = plane.registry.register(
        run, actor=plane.actor(body.actor), tags=body.tags, description=body.description
    )
    return ModelVersionOut.of(version)


@router.post("/models/{fleet}/{tenant}/promote", response_model=PromotionOutcomeOut)
def promote(
    plane: Plane, fleet: FleetPath, tenant: TenantPath, body: PromoteIn
) -> PromotionOutcomeOut:
    """Move a version into an environment if the fleet's policy allows it; the outcome says why."""
    outcome = plane.registry.promote(
        f"{fleet}/{tenant}",
        body.environment,
        policy=plane.policy(fleet),
        actor=plane.actor(body.actor),
        reason=body.reason,
        version=body.version,
    )
    return PromotionOutcomeOut.of(outcome)


@router.post("/fleets/{fleet}/promote", response_model=PromotionBatchOut)
def promote_fleet(plane: Plane, fleet: FleetPath, body: FleetPromoteIn) -> PromotionBatchOut:
    """Promote every model of a fleet whose candidate passes; one outcome per tenant."""
    batch = plane.registry.promote_fleet(
        fleet,
        body.environment,
        policy=plane.policy(fleet),
        actor=plane.actor(body.actor),
        reason=body.reason,
    )
    return PromotionBatchOut.of(batch)


@router.post("/models/{fleet}/{tenant}/approve", response_model=ModelEventOut)
def approve(plane: Plane, fleet: FleetPath, tenant: TenantPath, body: ApproveIn) -> ModelEventOut:
    """Record a human's approval of a version for an environment."""
    event = plane.registry.approve(
        f"{fleet}/{tenant}",
        body.version,
        body.environment,
        actor=plane.actor(body.actor),
        reason=body.reason,
    )
    return ModelEventOut.of(event)


@router.post("/models/{fleet}/{tenant}/rollback", response_model=ModelEventOut)
def rollback(plane: Plane, fleet: FleetPath, tenant: TenantPath, body: RollbackIn) -> ModelEventOut:
    """Point an environment back at the version it held before its last move."""
    event = plane.registry.rollback(
        f"{fleet}/{tenant}", body.environment, actor=plane.actor(body.actor), reason=body.reason
    )
    return ModelEventOut.of(event)


@router.post("/batches/{batch_id}/rollback", response_model=list[ModelEventOut])
def rollback_batch(
    plane: Plane, batch_id: BatchIdPath, body: BatchRollbackIn
) -> list[ModelEventOut]:
    """Undo every alias move of one fleet promotion."""
    events = plane.registry.rollback_batch(
        batch_id, actor=plane.actor(body.actor), reason=body.reason, skip_moved=body.skip_moved
    )
    return [ModelEventOut.of(e) for e in events]


@router.put("/models/{fleet}/{tenant}/aliases/{alias}", response_model=ModelEventOut)
def set_alias(
    plane: Plane, fleet: FleetPath, tenant: TenantPath, alias: AliasPath, body: AliasIn
) -> ModelEventOut:
    """Point any alias (champion, challenger, an environment) at a version; no policy asked."""
    event = plane.registry.set_alias(
        f"{fleet}/{tenant}", alias, body.version, actor=plane.actor(body.actor), reason=body.reason
    )
    return ModelEventOut.of(event)


@router.post("/models/{fleet}/{tenant}/versions/{version}/archive", response_model=ModelEventOut)
def archive(
    plane: Plane, fleet: FleetPath, tenant: TenantPath, version: VersionPath, body: WriteIn
) -> ModelEventOut:
    """Retire a version: still readable, never promoted again; refused while an alias uses it."""
    event = plane.registry.archive(
        f"{fleet}/{tenant}", version, actor=plane.actor(body.actor), reason=body.reason
    )
    return ModelEventOut.of(event)


@router.patch("/models/{fleet}/{tenant}/versions/{version}", response_model=ModelVersionOut)
def update_metadata(
    plane: Plane, fleet: FleetPath, tenant: TenantPath, version: VersionPath, body: MetadataPatchIn
) -> ModelVersionOut:
    """Change tags (merged) and/or the description: answers the new PATCH version."""
    updated = plane.registry.update_metadata(
        f"{fleet}/{tenant}:{version}",
        actor=plane.actor(body.actor),
        tags=body.tags,
        description=body.description,
        reason=body.reason,
    )
    return ModelVersionOut.of(updated)
