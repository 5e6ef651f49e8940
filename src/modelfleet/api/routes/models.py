"""``/api/v1/models``: search, versions, alias resolution, history and model cards (reads)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from modelfleet.api.params import (
    ALIAS_PATTERN,
    MAX_LIMIT,
    SEMVER_PATTERN,
    AliasPath,
    EnvQuery,
    FleetPath,
    FleetQuery,
    LimitQuery,
    TenantPath,
    TenantQuery,
    VersionPath,
)
from modelfleet.api.routes.deps import Control, Plane
from modelfleet.errors import UsageError
from modelfleet.registry.queries import VersionQuery
from modelfleet.registry.records import MetricFilter
from modelfleet.wire import ErrorOut, ModelEventOut, ModelOut, ModelVersionOut

router = APIRouter(
    prefix="/api/v1/models",
    tags=["models"],
    responses={404: {"model": ErrorOut}, 422: {"model": ErrorOut}, 503: {"model": ErrorOut}},
)

# Card pages are static documents: no scripts, no outside resources, inline style only.
CARD_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}


def parse_tags(values: list[str]) -> dict[str, str]:
    """``["customer:acme", "tier:gold"]`` as a mapping; 422 naming the bad entry otherwise."""
    tags: dict[str, str] = {}
    for index, value in enumerate(values):
        key, colon, text = value.partition(":")
        if not colon or not key:
            raise RequestValidationError(
                [
                    {
                        "type": "value_error",
                        "loc": ("query", "tag", index),
                        "msg": f"{value[:80]!r} is not a tag filter: write KEY:VALUE, e.g. "
                        "customer:acme",
                    }
                ]
            )
        tags[key] = text
    return tags


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
    tag: Annotated[
        list[str], Query(max_length=200, description="KEY:VALUE, repeatable; all must match")
    ] = [],  # noqa: B006 - FastAPI copies query defaults
    env: EnvQuery = None,
    status: Annotated[
        Literal["candidate", "active", "archived"] | None, Query(description="version status")
    ] = None,
    metric: Annotated[
        list[str],
        Query(max_length=200, description="e.g. wmape>0.3 or baseline.mae<=12; repeatable"),
    ] = [],  # noqa: B006
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


@router.get(
    "/{fleet}/{tenant}/card",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/markdown": {}, "text/html": {}}}},
)
def card(
    control: Control,
    plane: Plane,
    fleet: FleetPath,
    tenant: TenantPath,
    format: Annotated[Literal["markdown", "html"], Query(description="card format")] = "markdown",
    alias: Annotated[str | None, Query(pattern=ALIAS_PATTERN, description="e.g. prod")] = None,
    version: Annotated[str | None, Query(pattern=SEMVER_PATTERN, description="e.g. 1.2.0")] = None,
) -> Response:
    """The model card of a version (by alias or number; default the newest not archived)."""
    if alias is not None and version is not None:
        raise UsageError("give alias or version, not both")
    model = f"{fleet}/{tenant}"
    ref = f"{model}@{alias}" if alias else f"{model}:{version}" if version else model
    text = plane.card(ref, format, control.spec(fleet))
    if format == "html":
        return HTMLResponse(text, headers=CARD_HEADERS)
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8", headers=CARD_HEADERS)
