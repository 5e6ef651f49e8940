"""The Python API over HTTP: :class:`RemoteClient` talks to a ``modelfleet server``.

It offers the run and registry methods of :class:`~modelfleet.client.Client` with the same
arguments and return types: JSON answers are read back into the same frozen dataclasses, and an
error answer is raised again as the :class:`~modelfleet.errors.ModelfleetError` subclass the
server raised (matched by HTTP status and headline). Training stays local: it needs the data.

Pass ``http=`` an :class:`httpx.Client` of your own (with auth headers, a proxy, or in tests a
FastAPI ``TestClient``, which is one) to control the transport.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from modelfleet.errors import ModelfleetError, StoreError, UsageError
from modelfleet.registry.records import (
    MetricFilter,
    ModelEvent,
    ModelVersion,
    PromotionBatch,
    PromotionOutcome,
    VersionStatus,
)
from modelfleet.registry.refs import parse_ref, split_model
from modelfleet.serving.schemas import (
    FleetRunOut,
    HealthOut,
    ModelEventOut,
    ModelOut,
    ModelVersionOut,
    PromotionBatchOut,
    PromotionOutcomeOut,
    RunOut,
    error_class,
)
from modelfleet.serving.schemas.base import MAX_LIMIT
from modelfleet.serving.shared import SpecLike, local_user, spec_for
from modelfleet.tracking.records import FleetRunRecord, TenantRunRecord

API = "/api/v1"
DEFAULT_TIMEOUT_SECONDS = 30.0
_Out = TypeVar("_Out", bound=BaseModel)


def _seg(text: str) -> str:
    """One URL path segment, percent-encoded."""
    return quote(text, safe="")


def _model_path(model: str) -> str:
    fleet, tenant = split_model(model)
    if tenant in (".", ".."):
        raise UsageError(f"{model!r}: '.' and '..' are not tenant ids")
    return f"{API}/models/{_seg(fleet)}/{_seg(tenant)}"


class RemoteClient:
    """Runs and the model registry of a modelfleet server, as Python objects."""

    def __init__(
        self,
        url: str | None = None,
        *,
        http: httpx.Client | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        actor: str | None = None,
    ) -> None:
        if http is None:
            if not url or not url.startswith(("http://", "https://")):
                raise UsageError(f"{url!r} is not a server URL: write http(s)://host:port")
            http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout)
            self._owns_http = True
        else:
            self._owns_http = False
        self._http = http
        self.url = str(http.base_url).rstrip("/")
        self.actor = actor or local_user()

    # ------------------------------------------------------------------ plumbing
    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise StoreError(
                f"modelfleet server {self.url} did not answer in time ({exc})"
            ) from exc
        except httpx.TransportError as exc:
            raise StoreError(
                f"cannot reach modelfleet server {self.url} ({exc}); start it with "
                "`modelfleet server`, or check --url / MODELFLEET_URL"
            ) from exc
        if response.is_error:
            raise self._error(response)
        return response

    def _error(self, response: httpx.Response) -> ModelfleetError:
        status = response.status_code
        try:
            body = response.json()
            headline, detail = str(body["error"]), str(body["detail"])
        except (ValueError, KeyError, TypeError):
            headline = response.reason_phrase.lower() or "server error"
            detail = f"{self.url} answered {status} {response.reason_phrase}: {response.text[:300]}"
        cls = error_class(status, headline)
        try:
            error = cls(detail)
        except TypeError:  # a subclass with its own constructor
            error = ModelfleetError(detail)
        if (error.http_status, error.headline) != (status, headline):
            error.http_status, error.headline = status, headline  # keep the server's words
        return error

    def _get(self, shape: type[_Out], path: str, **params: Any) -> _Out:
        return self._read(shape, self._call("GET", path, params=_params(params)))

    def _list(self, shape: type[_Out], path: str, **params: Any) -> list[_Out]:
        return self._read_list(shape, self._call("GET", path, params=_params(params)))

    def _read_list(self, shape: type[_Out], response: httpx.Response) -> list[_Out]:
        try:
            return TypeAdapter(list[shape]).validate_json(response.content)  # type: ignore[valid-type]
        except ValidationError as exc:
            raise self._unreadable(response.url.path, exc) from exc

    def _write(self, method: str, shape: type[_Out], path: str, body: dict[str, Any]) -> _Out:
        return self._read(shape, self._call(method, path, json=body))

    def _read(self, shape: type[_Out], response: httpx.Response) -> _Out:
        try:
            return shape.model_validate_json(response.content)
        except ValidationError as exc:
            raise self._unreadable(response.url.path, exc) from exc

    def _unreadable(self, path: str, exc: ValidationError) -> ModelfleetError:
        return ModelfleetError(
            f"{self.url}{path} answered JSON this client cannot read ({exc.error_count()} "
            "problems); is the server a different modelfleet version?"
        )

    def _body(self, actor: str | None, reason: str, **fields: Any) -> dict[str, Any]:
        return {"actor": actor or self.actor, "reason": reason, **fields}

    # ------------------------------------------------------------------ lifetime
    def health(self) -> HealthOut:
        """The server's version, store backend and the fleets whose policies it applies."""
        return self._get(HealthOut, "/healthz")

    def close(self) -> None:
        """Close the HTTP connection pool (unless it was passed in)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> RemoteClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ runs
    def runs(self, **filters: Any) -> list[TenantRunRecord]:
        """Tenant runs, newest first; filters: fleet, tenant, status, environment, limit."""
        unknown = set(filters) - {
            "fleet",
            "tenant",
            "status",
            "environment",
            "fleet_run_id",
            "limit",
        }
        if unknown:
            raise UsageError(f"unknown run filters {sorted(unknown)}")
        params = {"limit": 100, **filters}  # the local Client's default
        if "environment" in params:
            params["env"] = params.pop("environment")
        params["limit"] = _limit(params["limit"])
        return [r.record() for r in self._list(RunOut, f"{API}/runs", **params)]

    def run(self, run_id: str) -> TenantRunRecord:
        """One tenant run by id or unique id prefix."""
        return self._get(RunOut, f"{API}/runs/{_seg(run_id.strip())}").record()

    def fleet_runs(self, fleet: str | None = None, limit: int | None = 20) -> list[FleetRunRecord]:
        """Fleet runs, newest first."""
        found = self._list(FleetRunOut, f"{API}/fleet-runs", fleet=fleet, limit=_limit(limit))
        return [r.record() for r in found]

    def fleet_run(self, fleet_run_id: str) -> FleetRunRecord:
        """One fleet run by its full id."""
        return self._get(FleetRunOut, f"{API}/fleet-runs/{_seg(fleet_run_id)}").record()

    # ------------------------------------------------------------------ registry: reads
    def resolve(self, ref: str) -> ModelVersion:
        """The version ``fleet/tenant@prod``, ``fleet/tenant:1.2.0`` or ``fleet/tenant`` names."""
        parsed = parse_ref(ref)
        base = _model_path(parsed.model)
        if parsed.alias is not None:
            return self._get(ModelVersionOut, f"{base}/resolve/{_seg(parsed.alias)}").record()
        if parsed.version is not None:
            return self._get(ModelVersionOut, f"{base}/versions/{parsed.version}").record()
        return self._get(ModelVersionOut, f"{base}/latest").record()

    def versions(self, model: str) -> list[ModelVersion]:
        """Every version of ``fleet/tenant``, newest first, each with its aliases."""
        return [v.record() for v in self._get(ModelOut, _model_path(model)).versions]

    def search(
        self,
        *,
        fleet: str | None = None,
        tenant: str | None = None,
        tags: Mapping[str, str] | None = None,
        environment: str | None = None,
        status: VersionStatus | None = None,
        metrics: Sequence[MetricFilter | str] = (),
        latest_only: bool = False,
        limit: int | None = 100,
    ) -> list[ModelVersion]:
        """Versions matching every filter (metrics like ``"wmape>0.3"``), by model, newest first."""
        found = self._list(
            ModelVersionOut,
            f"{API}/models",
            fleet=fleet,
            tenant=tenant,
            tag=[f"{key}:{value}" for key, value in (tags or {}).items()],
            env=environment,
            status=status,
            metric=[str(m) for m in metrics],
            latest_only=latest_only,
            limit=_limit(limit),
        )
        return [v.record() for v in found]

    def history(self, model: str, limit: int | None = None) -> list[ModelEvent]:
        """The model's events, newest first."""
        found = self._list(ModelEventOut, f"{_model_path(model)}/history", limit=limit)
        return [e.record() for e in found]

    def card(self, ref: str, *, fmt: str = "markdown", spec: SpecLike | None = None) -> str:
        """The model card of the version ``ref`` names, rendered by the server.

        The server states the fleet's purpose from the spec it was started with; ``spec``, if
        given, is only checked to declare the model's fleet.
        """
        parsed = parse_ref(ref)
        if spec is not None:
            spec_for(parsed.fleet, spec)
        params: dict[str, Any] = {"format": fmt}
        if parsed.alias is not None:
            params["alias"] = parsed.alias
        if parsed.version is not None:
            params["version"] = str(parsed.version)
        response = self._call("GET", f"{_model_path(parsed.model)}/card", params=params)
        return response.text

    # ------------------------------------------------------------------ registry: writes
    def register(
        self,
        run: str | TenantRunRecord,
        *,
        actor: str | None = None,
        tags: Mapping[str, str] | None = None,
        description: str = "",
    ) -> ModelVersion:
        """Make a succeeded run (record or id) a candidate version of its model."""
        run_id = run if isinstance(run, str) else run.run_id
        body = {"actor": actor or self.actor, "tags": dict(tags or {}), "description": description}
        path = f"{API}/runs/{_seg(run_id.strip())}/register"
        return self._write("POST", ModelVersionOut, path, body).record()

    def promote(
        self,
        model: str,
        environment: str,
        *,
        spec: SpecLike | None = None,
        version: str | None = None,
        actor: str | None = None,
        reason: str = "",
    ) -> PromotionOutcome:
        """Promote a model under the policy the server holds for its fleet.

        ``spec``, if given, is only checked to declare the model's fleet: the server applies
        the policy of the spec it was started with, never one a client sends.
        """
        if spec is not None:
            spec_for(split_model(model)[0], spec)
        body = self._body(actor, reason, environment=environment, version=version)
        path = f"{_model_path(model)}/promote"
        return self._write("POST", PromotionOutcomeOut, path, body).record()

    def promote_fleet(
        self,
        fleet: str,
        environment: str,
        *,
        spec: SpecLike | None = None,
        actor: str | None = None,
        reason: str = "",
    ) -> PromotionBatch:
        """Promote every model of ``fleet`` whose candidate passes the server's policy."""
        if spec is not None:
            spec_for(fleet, spec)
        body = self._body(actor, reason, environment=environment)
        path = f"{API}/fleets/{_seg(fleet)}/promote"
        return self._write("POST", PromotionBatchOut, path, body).record()

    def approve(
        self,
        model: str,
        version: str,
        environment: str,
        *,
        actor: str | None = None,
        reason: str = "",
    ) -> ModelEvent:
        """Record a human approval of ``version`` for ``environment``."""
        body = self._body(actor, reason, version=str(version), environment=environment)
        return self._write("POST", ModelEventOut, f"{_model_path(model)}/approve", body).record()

    def rollback(
        self, model: str, environment: str, *, actor: str | None = None, reason: str = ""
    ) -> ModelEvent:
        """Point ``environment`` back at the version it held before its last move."""
        body = self._body(actor, reason, environment=environment)
        return self._write("POST", ModelEventOut, f"{_model_path(model)}/rollback", body).record()

    def rollback_batch(
        self,
        batch_id: str,
        *,
        actor: str | None = None,
        reason: str = "",
        skip_moved: bool = False,
    ) -> list[ModelEvent]:
        """Undo every alias move of one fleet promotion batch."""
        body = self._body(actor, reason, skip_moved=skip_moved)
        response = self._call("POST", f"{API}/batches/{_seg(batch_id)}/rollback", json=body)
        return [e.record() for e in self._read_list(ModelEventOut, response)]

    def set_alias(
        self,
        model: str,
        alias: str,
        version: str,
        *,
        actor: str | None = None,
        reason: str = "",
    ) -> ModelEvent:
        """Point an alias (champion, challenger...) at a version; no policy is asked."""
        body = self._body(actor, reason, version=str(version))
        path = f"{_model_path(model)}/aliases/{_seg(alias)}"
        return self._write("PUT", ModelEventOut, path, body).record()

    def archive(
        self, model: str, version: str, *, actor: str | None = None, reason: str = ""
    ) -> ModelEvent:
        """Retire a version (refused while an alias points at it)."""
        path = f"{_model_path(model)}/versions/{_seg(str(version))}/archive"
        return self._write("POST", ModelEventOut, path, self._body(actor, reason)).record()

    def update_metadata(
        self,
        ref: str,
        *,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
        actor: str | None = None,
        reason: str = "",
    ) -> ModelVersion:
        """Merge tags and/or set the description: returns the new PATCH version."""
        base = self.resolve(ref)
        body = self._body(
            actor, reason, tags=None if tags is None else dict(tags), description=description
        )
        path = f"{_model_path(base.model)}/versions/{base.version}"
        return self._write("PATCH", ModelVersionOut, path, body).record()


def _limit(limit: int | None) -> int:
    """A row limit for the server: ``None`` (all) becomes the most one request may ask for."""
    return MAX_LIMIT if limit is None else limit


def _params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Query parameters without the unset ones; booleans as true/false."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None or value == []:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return out
