"""``/api/v1/models``: search, versions, alias resolution, history and model cards (reads)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from modelfleet.api.params import (
    MAX_LIMIT,
    AliasPath,
    AliasQuery,
    EnvQuery,
    FleetPath,
    FleetQuery,
    LimitQuery,
    MetricsQuery,
    TagsQuery,
    TenantPath,
    TenantQuery,
    VersionPath,
)
from modelfleet.api.params import VersionQuery as VersionNumberQuery
from modelfleet.api.responses import LOOKUP_ERRORS, WRITE_ERRORS
from modelfleet.api.routes.deps import Control, Plane
from modelfleet.errors import ConflictError, UsageError
from modelfleet.registry.queries import VersionQuery
from modelfleet.registry.records import MetricFilter
from modelfleet.wire import ModelEventOut, ModelOut, ModelVersionOut

router = APIRouter(prefix="/api/v1/models", tags=["models"], responses=LOOKUP_ERRORS)

# Card pages are static documents: no scripts, no outside resources, inline style only.
CARD_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


def parse_tags(values: list[str]) -> dict[str, str]:
    """``["customer:acme", "tier:gold"]`` as a mapping (each entry passed the KEY:VALUE rule)."""
    return {key: text for key, _, text in (value.partition(":") for value in values)}


def parse_metrics(values: list[str]) -> list[MetricFilter]:
    """``["wmape>0.3"]`` as metric filters; 422 naming the bad entry otherwise."""
    filters = []
    for index, value in enumerate(values):
        try:
            filters.append(MetricFilter.parse(value))
        except UsageError as exc:
            raise RequestValidationError(
                [{"type": "value_error", "loc": ("query", "metric", index), "msg": exc.message}]
            ) from None
    return filters


@router.get("", response_model=list[ModelVersionOut])
def search_models(
    plane: Plane,
    fleet: FleetQuery = None,
    tenant: TenantQuery = None,
    tag: TagsQuery = [],  # noqa: B006 - FastAPI copies query defaults
    env: EnvQuery = None,
    status: Annotated[
        Literal["candidate", "active", "archived"] | None, Query(description="version status")
    ] = None,
    metric: MetricsQuery = [],  # noqa: B006
    latest_only: Annotated[bool, Query(description="each model's newest match only")] = False,
    limit: LimitQuery = 100,
) -> list[ModelVersionOut]:
    """Versions matching every filter, by model and newest first."""
    query = VersionQuery(
        fleet=fleet,
        tenant=tenant,
        tags=parse_tags(tag),
        environment=env,
        status=status,
        metrics=parse_metrics(metric),
        latest_only=latest_only,
        limit=limit,
    )
    return [ModelVersionOut.of(v) for v in plane.search(query)]


@router.get("/{fleet}/{tenant}", response_model=ModelOut)
def get_model(plane: Plane, fleet: FleetPath, tenant: TenantPath) -> ModelOut:
    """Every version of a model, newest first, and where each alias points."""
    model = f"{fleet}/{tenant}"
    versions = plane.versions(model)
    aliases = {alias: str(v.version) for v in versions for alias in v.aliases}
    return ModelOut(
        model=model,
        fleet=fleet,
        tenant=tenant,
        aliases=dict(sorted(aliases.items())),
        versions=[ModelVersionOut.of(v) for v in versions],
    )


@router.get("/{fleet}/{tenant}/versions/{version}", response_model=ModelVersionOut)
def get_version(
    plane: Plane, fleet: FleetPath, tenant: TenantPath, version: VersionPath
) -> ModelVersionOut:
    """One version by number."""
    return ModelVersionOut.of(plane.resolve(f"{fleet}/{tenant}:{version}"))


@router.get("/{fleet}/{tenant}/latest", response_model=ModelVersionOut)
def latest_version(plane: Plane, fleet: FleetPath, tenant: TenantPath) -> ModelVersionOut:
    """The newest version that is not archived."""
    return ModelVersionOut.of(plane.resolve(f"{fleet}/{tenant}"))


@router.get("/{fleet}/{tenant}/resolve/{alias}", response_model=ModelVersionOut)
def resolve_alias(
    plane: Plane, fleet: FleetPath, tenant: TenantPath, alias: AliasPath
) -> ModelVersionOut:
    """The version an alias (prod, staging, champion...) points at."""
    return ModelVersionOut.of(plane.resolve(f"{fleet}/{tenant}@{alias}"))


@router.get("/{fleet}/{tenant}/history", response_model=list[ModelEventOut])
def history(
    plane: Plane,
    fleet: FleetPath,
    tenant: TenantPath,
    limit: Annotated[int | None, Query(ge=1, le=MAX_LIMIT, description="newest N")] = None,
) -> list[ModelEventOut]:
    """The model's events, newest first: registrations, alias moves, approvals, status changes."""
    return [ModelEventOut.of(e) for e in plane.history(f"{fleet}/{tenant}", limit)]


# The card answers a document, not JSON: its 200 content types are declared here, and the
# route's response class is the bare Response so the error answers stay documented as JSON.
CARD_CONTENT = {
    "text/markdown": {"schema": {"type": "string"}},
    "text/html": {"schema": {"type": "string"}},
}


@router.get(
    "/{fleet}/{tenant}/card",
    response_class=Response,
    responses={200: {"description": "the model card", "content": CARD_CONTENT}, **WRITE_ERRORS},
)
def card(
    control: Control,
    plane: Plane,
    fleet: FleetPath,
    tenant: TenantPath,
    format: Annotated[Literal["markdown", "html"], Query(description="card format")] = "markdown",
    alias: AliasQuery = None,
    version: VersionNumberQuery = None,
) -> Response:
    """The model card of a version (by alias or number; default the newest not archived).

    Given both, ``version`` is the card's and ``alias`` a precondition: 409 unless the alias
    points at that version (a schema cannot say "not both", and the pair has a meaning).
    """
    model = f"{fleet}/{tenant}"
    if alias is not None and version is not None:
        held = str(plane.resolve(f"{model}@{alias}").version)
        if held != version:
            raise ConflictError(
                f"{model}@{alias} is version {held}, not {version}; ask for the card by alias "
                "or by version"
            )
    ref = f"{model}:{version}" if version else f"{model}@{alias}" if alias else model
    text = plane.card(ref, format, control.spec(fleet))
    if format == "html":
        return HTMLResponse(text, headers=CARD_HEADERS)
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8", headers=CARD_HEADERS)
