"""The HTTP plane: the platform's verbs over a ``modelfleet server`` control plane.

JSON answers are read back into the same records the local plane returns (the :mod:`wire`
shapes convert both ways), and an error answer is raised again as the
:class:`~modelfleet.errors.ModelfleetError` subclass the server raised (matched by status and
headline). Requests name no actor: the server decides who the caller is.

Pass ``transport=`` an httpx transport (``httpx.MockTransport`` in users' tests, a FastAPI app
through ``httpx.ASGITransport``...) or ``http=`` a whole :class:`httpx.Client` of your own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from modelfleet.client.http_paths import API, iso, limit_of, model_path, params_of, seg
from modelfleet.client.plane import PlaneInfo
from modelfleet.config.serving_blocks import RoutingSpec
from modelfleet.config.spec import FleetSpec
from modelfleet.config.specs import spec_for
from modelfleet.errors import ModelfleetError, StoreError, UsageError
from modelfleet.monitoring.feedback import Actual, FeedbackReport
from modelfleet.registry.queries import VersionQuery
from modelfleet.registry.records import ModelEvent, ModelVersion, PromotionBatch, PromotionOutcome
from modelfleet.registry.refs import parse_ref, split_model
from modelfleet.registry.traffic import TrafficSetting
from modelfleet.store.autopilot import ActionRow
from modelfleet.tracking.queries import RunQuery
from modelfleet.tracking.records import FleetRunRecord, TenantRunRecord
from modelfleet.wire import (
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
from modelfleet.wire.autopilot import AutopilotActionOut
from modelfleet.wire.base import MAX_LIMIT
from modelfleet.wire.registry import TrafficOut

DEFAULT_TIMEOUT_SECONDS = 30.0
_Out = TypeVar("_Out", bound=BaseModel)
_FEEDBACK = TypeAdapter(FeedbackReport)


class HttpPlane:
    """Runs, registry and promotion of a modelfleet server, as Python records."""

    def __init__(
        self,
        url: str | None = None,
        *,
        http: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        token: str | None = None,
    ) -> None:
        if http is None:
            if not url or not url.startswith(("http://", "https://")):
                raise UsageError(f"{url!r} is not a server URL: write http(s)://host:port")
            http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout, transport=transport)
            self._owns_http = True
        else:
            self._owns_http = False
        if token:  # a server with auth on: every request carries it (never logged)
            http.headers["Authorization"] = f"Bearer {token.strip()}"
        self._http = http
        self.url = str(http.base_url).rstrip("/")

    # -- plumbing
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

    def post_json(
        self, path: str, body: dict[str, Any], params: Mapping[str, str]
    ) -> httpx.Response:
        """POST a JSON body; errors come back as modelfleet errors (for the scoring verbs)."""
        return self._call("POST", path, json=body, params=dict(params))

    def read_shape(self, shape: type[_Out], response: httpx.Response) -> _Out:
        """A response body read as ``shape`` (an unreadable one is a clear error)."""
        return self._read(shape, response)

    def _read(self, shape: type[_Out], response: httpx.Response) -> _Out:
        try:
            return shape.model_validate_json(response.content)
        except ValidationError as exc:
            raise self._unreadable(response.url.path, exc) from exc

    def _read_list(self, shape: type[_Out], response: httpx.Response) -> list[_Out]:
        try:
            return TypeAdapter(list[shape]).validate_json(response.content)  # type: ignore[valid-type]
        except ValidationError as exc:
            raise self._unreadable(response.url.path, exc) from exc

    def _get(self, shape: type[_Out], path: str, **params: Any) -> _Out:
        return self._read(shape, self._call("GET", path, params=params_of(params)))

    def _list(self, shape: type[_Out], path: str, **params: Any) -> list[_Out]:
        return self._read_list(shape, self._call("GET", path, params=params_of(params)))

    def _write(self, method: str, shape: type[_Out], path: str, body: dict[str, Any]) -> _Out:
        return self._read(shape, self._call(method, path, json=body))

    def _unreadable(self, path: str, exc: ValidationError) -> ModelfleetError:
        return ModelfleetError(
            f"{self.url}{path} answered JSON this client cannot read ({exc.error_count()} "
            "problems); is the server a different modelfleet version?"
        )

    # -- lifetime
    def health(self) -> HealthOut:
        """The server's ``/healthz`` answer."""
        return self._get(HealthOut, "/healthz")

    def info(self) -> PlaneInfo:
        """The server's version, store backend and the fleets whose policies it applies."""
        health = self.health()
        return PlaneInfo("http", health.version, health.store, tuple(health.fleets), "server")

    def close(self) -> None:
        """Close the HTTP connection pool (unless it was passed in)."""
        if self._owns_http:
            self._http.close()

    # -- autopilot
    def autopilot_actions(
        self, fleet: str | None, environment: str | None, status: str | None, limit: int | None
    ) -> list[ActionRow]:
        """The autopilot's actions, newest first."""
        shown = min(limit or MAX_LIMIT, MAX_LIMIT)
        found = self._list(
            AutopilotActionOut,
            f"{API}/autopilot/actions",
            fleet=fleet,
            env=environment,
            status=status,
            limit=shown,
        )
        return [a.row() for a in found]

    def decide_action(
        self, action_id: int, decision: Literal["approved", "rejected"], reason: str
    ) -> ActionRow:
        """Approve or reject a pending autopilot step."""
        verb = "approve" if decision == "approved" else "reject"
        path = f"{API}/autopilot/actions/{int(action_id)}/{verb}"
        return self._write("POST", AutopilotActionOut, path, {"reason": reason}).row()

    # -- runs
    def runs(self, query: RunQuery) -> list[TenantRunRecord]:
        """Tenant runs matching ``query``, newest first."""
        params = {
            "fleet": query.fleet,
            "tenant": query.tenant,
            "status": query.status,
            "env": query.environment,
            "fleet_run_id": query.fleet_run_id,
            "limit": limit_of(query.limit),
        }
        return [r.record() for r in self._list(RunOut, f"{API}/runs", **params)]

    def run(self, run_id: str) -> TenantRunRecord:
        """One tenant run by id or unique id prefix."""
        return self._get(RunOut, f"{API}/runs/{seg(run_id.strip())}").record()

    def fleet_runs(self, fleet: str | None, limit: int | None) -> list[FleetRunRecord]:
        """Fleet runs, newest first."""
        found = self._list(FleetRunOut, f"{API}/fleet-runs", fleet=fleet, limit=limit_of(limit))
        return [r.record() for r in found]

    def fleet_run(self, fleet_run_id: str) -> FleetRunRecord:
        """One fleet run by its full id."""
        return self._get(FleetRunOut, f"{API}/fleet-runs/{seg(fleet_run_id)}").record()

    # -- registry reads
    def resolve(self, ref: str) -> ModelVersion:
        """The version a reference names."""
        parsed = parse_ref(ref)
        base = model_path(parsed.model)
        if parsed.alias is not None:
            return self._get(ModelVersionOut, f"{base}/resolve/{seg(parsed.alias)}").record()
        if parsed.version is not None:
            return self._get(ModelVersionOut, f"{base}/versions/{parsed.version}").record()
        return self._get(ModelVersionOut, f"{base}/latest").record()

    def versions(self, model: str) -> list[ModelVersion]:
        """Every version of a model, newest first."""
        return [v.record() for v in self._get(ModelOut, model_path(model)).versions]

    def search(self, query: VersionQuery) -> list[ModelVersion]:
        """Versions matching ``query``."""
        found = self._list(
            ModelVersionOut,
            f"{API}/models",
            fleet=query.fleet,
            tenant=query.tenant,
            tag=[f"{key}:{value}" for key, value in query.tags.items()],
            env=query.environment,
            status=query.status,
            metric=[str(m) for m in query.metrics],
            latest_only=query.latest_only,
            limit=limit_of(query.limit),
        )
        return [v.record() for v in found]

    def history(self, model: str, limit: int | None) -> list[ModelEvent]:
        """The model's events, newest first."""
        found = self._list(ModelEventOut, f"{model_path(model)}/history", limit=limit)
        return [e.record() for e in found]

    def card(self, ref: str, fmt: str, spec: FleetSpec | None) -> str:
        """The card rendered by the server (its spec states the purpose; ``spec`` is checked)."""
        parsed = parse_ref(ref)
        if spec is not None:
            spec_for(parsed.fleet, spec)
        params: dict[str, Any] = {"format": fmt}
        if parsed.alias is not None:
            params["alias"] = parsed.alias
        if parsed.version is not None:
            params["version"] = str(parsed.version)
        return self._call("GET", f"{model_path(parsed.model)}/card", params=params).text

    # -- registry writes
    def register(self, run_id: str, tags: Mapping[str, str], description: str) -> ModelVersion:
        """Register a succeeded run as a candidate version."""
        body = {"tags": dict(tags), "description": description}
        path = f"{API}/runs/{seg(run_id.strip())}/register"
        return self._write("POST", ModelVersionOut, path, body).record()

    def update_metadata(
        self, ref: str, tags: Mapping[str, str] | None, description: str | None, reason: str
    ) -> ModelVersion:
        """A new PATCH version with merged tags and/or a new description."""
        base = self.resolve(ref)
        body = {
            "tags": None if tags is None else dict(tags),
            "description": description,
            "reason": reason,
        }
        path = f"{model_path(base.model)}/versions/{base.version}"
        return self._write("PATCH", ModelVersionOut, path, body).record()

    def promote(
        self,
        model: str,
        environment: str,
        version: str | None,
        reason: str,
        spec: FleetSpec | None,
    ) -> PromotionOutcome:
        """Promote under the policy the server holds (``spec`` is only checked)."""
        if spec is not None:
            spec_for(split_model(model)[0], spec)
        body = {"environment": environment, "version": version, "reason": reason}
        path = f"{model_path(model)}/promote"
        return self._write("POST", PromotionOutcomeOut, path, body).record()

    def promote_fleet(
        self, fleet: str, environment: str, reason: str, spec: FleetSpec | None
    ) -> PromotionBatch:
        """Promote a whole fleet under the server's policy."""
        if spec is not None:
            spec_for(fleet, spec)
        body = {"environment": environment, "reason": reason}
        path = f"{API}/fleets/{seg(fleet)}/promote"
        return self._write("POST", PromotionBatchOut, path, body).record()

    def approve(self, model: str, version: str, environment: str, reason: str) -> ModelEvent:
        """Record an approval."""
        body = {"version": str(version), "environment": environment, "reason": reason}
        return self._write("POST", ModelEventOut, f"{model_path(model)}/approve", body).record()

    def rollback(self, model: str, environment: str, reason: str) -> ModelEvent:
        """Undo the environment's last move."""
        body = {"environment": environment, "reason": reason}
        return self._write("POST", ModelEventOut, f"{model_path(model)}/rollback", body).record()

    def rollback_batch(self, batch_id: str, reason: str, skip_moved: bool) -> list[ModelEvent]:
        """Undo a fleet promotion batch."""
        body = {"reason": reason, "skip_moved": skip_moved}
        response = self._call("POST", f"{API}/batches/{seg(batch_id)}/rollback", json=body)
        return [e.record() for e in self._read_list(ModelEventOut, response)]

    def set_alias(self, model: str, alias: str, version: str, reason: str) -> ModelEvent:
        """Point an alias at a version."""
        body = {"version": str(version), "reason": reason}
        path = f"{model_path(model)}/aliases/{seg(alias)}"
        return self._write("PUT", ModelEventOut, path, body).record()

    def set_traffic(
        self, model: str, environment: str, routing: RoutingSpec, reason: str
    ) -> ModelEvent:
        """Set a tenant's run-time routing in an environment."""
        body = {**routing.model_dump(), "reason": reason}
        path = f"{model_path(model)}/traffic/{seg(environment)}"
        return self._write("PUT", ModelEventOut, path, body).record()

    def clear_traffic(self, model: str, environment: str, reason: str) -> ModelEvent:
        """Drop a tenant's run-time routing in an environment."""
        path = f"{model_path(model)}/traffic/{seg(environment)}"
        return self._write("DELETE", ModelEventOut, path, {"reason": reason}).record()

    def traffic(self, model: str, environment: str) -> TrafficSetting | None:
        """A tenant's run-time routing in an environment, or None."""
        response = self._call("GET", f"{model_path(model)}/traffic/{seg(environment)}")
        if response.content.strip() == b"null":
            return None
        return self._read(TrafficOut, response).setting()

    def remove_alias(self, model: str, alias: str, reason: str) -> ModelEvent:
        """Delete an alias."""
        path = f"{model_path(model)}/aliases/{seg(alias)}"
        return self._write("DELETE", ModelEventOut, path, {"reason": reason}).record()

    def archive(self, model: str, version: str, reason: str) -> ModelEvent:
        """Retire a version."""
        path = f"{model_path(model)}/versions/{seg(str(version))}/archive"
        return self._write("POST", ModelEventOut, path, {"reason": reason}).record()

    def delete_version(self, model: str, version: str, reason: str) -> None:
        """Delete a version's record."""
        path = f"{model_path(model)}/versions/{seg(str(version))}"
        self._call("DELETE", path, json={"reason": reason})

    # -- monitoring
    def feedback(
        self, fleet: str, actuals: Sequence[Actual], spec: FleetSpec | None
    ) -> FeedbackReport:
        """POST the records in one body (the server applies its own spec of the fleet)."""
        records = [
            {
                "tenant": a.tenant,
                "ts": iso(a.ts),
                "value": a.value,
                **({"request_id": a.request_id} if a.request_id is not None else {}),
            }
            for a in actuals
        ]
        # json.dumps, not httpx's json=: a NaN goes out as NaN and the server refuses it
        # naming the record's value, as the local plane does (httpx would raise ValueError).
        response = self._call(
            "POST",
            f"{API}/fleets/{seg(fleet)}/feedback",
            content=json.dumps({"records": records}).encode(),
            headers={"content-type": "application/json"},
        )
        try:
            return _FEEDBACK.validate_json(response.content)
        except ValidationError as exc:
            raise self._unreadable(response.url.path, exc) from exc
