"""The HTTP plane's wire details: URL paths and segments, query parameters, times as text."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from modelfleet.errors import UsageError
from modelfleet.quoting import excerpt
from modelfleet.registry.refs import split_model
from modelfleet.tenant_ids import is_tenant_id, tenant_id_error
from modelfleet.wire.base import MAX_LIMIT

API = "/api/v1"


def seg(text: str) -> str:
    """One URL path segment, percent-encoded."""
    return quote(text, safe="")


def model_path(model: str) -> str:
    """The path of ``fleet/tenant``'s model; UsageError for a tenant id the rule refuses."""
    fleet, tenant = split_model(model)
    if not is_tenant_id(tenant):
        raise UsageError(tenant_id_error(tenant, excerpt(model)))
    return f"{API}/models/{seg(fleet)}/{seg(tenant)}"


def iso(ts: datetime | date) -> str:
    """A record's date or time as the server reads it (an aware time in UTC, so an offset
    with seconds, which RFC 3339 cannot write, never goes out)."""
    if isinstance(ts, datetime) and ts.tzinfo is not None:
        return ts.astimezone(UTC).isoformat()
    return ts.isoformat()


def limit_of(limit: int | None) -> int:
    """A row limit for the server: ``None`` (all) becomes the most one request may ask for."""
    return MAX_LIMIT if limit is None else limit


def params_of(params: Mapping[str, Any]) -> dict[str, Any]:
    """Query parameters without the unset ones; booleans as true/false."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None or value == []:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return out
