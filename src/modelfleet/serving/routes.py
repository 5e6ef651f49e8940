"""The scoring routes: ``predict`` (records in) and ``forecast`` (dates in), one code path.

Both go through the fleet's routing (:mod:`modelfleet.scoring.routed`), count requests,
records and latency, log every answered row, and run a shadow challenger after the answer.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from modelfleet.api.params import FleetPath, TenantPath
from modelfleet.api.responses import ResponseTable, error_answer
from modelfleet.config.serving_blocks import RoutingSpec
from modelfleet.config.spec import FleetSpec
from modelfleet.errors import InputError, NotFoundError
from modelfleet.features.online.base import OnlineStore
from modelfleet.registry.refs import model_name
from modelfleet.scoring import Prediction, Scorer
from modelfleet.scoring.forecaster import forecast
from modelfleet.scoring.log import PredictionLog
from modelfleet.scoring.overrides import TrafficOverrides
from modelfleet.scoring.pii import scrub_records
from modelfleet.scoring.routed import ScoreWith, score_routed
from modelfleet.serving.answers import answer_json
from modelfleet.serving.bodies import parse_body, request_body_doc
from modelfleet.serving.gate import Gate
from modelfleet.serving.metrics import ServerMetrics
from modelfleet.serving.request_log import request_id_of
from modelfleet.wire.scoring import ForecastIn, PredictIn, PredictOut

RequestId = Annotated[
    str | None,
    Header(alias="X-Request-ID", max_length=64, pattern=r"^[A-Za-z0-9._-]+$"),
]
RoutingKey = Annotated[
    str | None,
    Header(
        alias="X-Routing-Key",
        max_length=200,
        description="sticky A/B assignment: the same key always gets the same arm "
        "(default: the request id)",
    ),
]
Explain = Annotated[bool, Query(description="add per-feature contributions to each prediction")]
CHAMPION_ONLY = RoutingSpec()
SCORING_ERRORS: ResponseTable = {
    401: error_answer("with auth on: no valid token (missing, malformed, expired or revoked)"),
    403: error_answer("with auth on: the token may not score this tenant"),
    404: error_answer(
        "no model of this tenant in the environment, an unknown fleet, or no history"
    ),
    409: error_answer("a stored model artifact is damaged (the detail says what to do)"),
}


@dataclass(frozen=True, eq=False)
class Serving:
    """What the routes work with: the environment, scorer, log, metrics, specs, online store."""

    environment: str
    scorer: Scorer
    log: PredictionLog
    metrics: ServerMetrics
    served: frozenset[str]
    routing: Mapping[str, RoutingSpec]
    specs: Mapping[str, FleetSpec]
    online: OnlineStore | None
    overrides: TrafficOverrides | None = None
    gate: Gate | None = None  # with auth on: who may score which tenant

    def admit(self, request: Request, fleet: str, tenant: str) -> None:
        """401/403 unless the request's token may score ``fleet/tenant`` (auth off: pass)."""
        if self.gate is not None:
            self.gate.admit(request.headers.get("authorization"), fleet, tenant)

    def routing_of(self, fleet: str, tenant: str) -> RoutingSpec:
        """The tenant's run-time routing if one is set, else its fleet's spec's."""
        if self.overrides is not None:
            found = self.overrides.routing(model_name(fleet, tenant), self.environment)
            if found is not None:
                return found
        return self.routing.get(fleet, CHAMPION_ONLY)

    def warm(self, fleet: str, tenant: str) -> bool:
        """Whether a request can be scored on the event loop: nothing to query, nothing to load.

        The routes score such a request inline (a thread hand-off per request costs more than
        the scoring); anything else (a first request, a model to load, the registry to re-read,
        a challenger, explanations) goes to the thread pool so it never stalls the loop.
        """
        model = model_name(fleet, tenant)
        routing = self.routing.get(fleet, CHAMPION_ONLY)
        if self.overrides is not None:
            known, found = self.overrides.peek(model, self.environment)
            if not known:
                return False
            routing = found or routing
        if not self.scorer.warm(fleet, tenant, self.environment):
            return False
        return routing.mode in ("champion", "shadow")

    def check_fleet(self, fleet: str) -> None:
        """NotFoundError for a fleet this server was not started for."""
        if self.served and fleet not in self.served:
            raise NotFoundError(
                f"fleet {fleet!r} is not served here; this server serves "
                f"{', '.join(sorted(self.served))} ({self.environment})"
            )

    def handle(
        self,
        fleet: str,
        tenant: str,
        score: ScoreWith,
        logged: Sequence[Any],
        request_id: str,
        routing_key: str | None,
        explain: bool,
        background: BackgroundTasks,
    ) -> Response:
        """Route, score, count and log one request; schedule its shadow."""
        started = time.perf_counter()
        status = "5xx"
        try:
            routing = self.routing_of(fleet, tenant)
            key = routing_key or request_id
            routed = score_routed(routing, model_name(fleet, tenant), key, score, explain=explain)
            status = "2xx"
        except Exception as exc:  # counted and logged, then answered by the error handlers
            code = getattr(exc, "http_status", 500)
            status = "4xx" if code < 500 else "5xx"
            self.log.submit_error(
                fleet, tenant, self.environment, request_id, code, type(exc).__name__
            )
            raise
        finally:
            self.metrics.requests.labels(fleet, tenant, status).inc()
        prediction = routed.prediction
        labels = (fleet, tenant, prediction.version, prediction.arm)
        self.metrics.predictions.labels(*labels).inc(len(prediction.values))
        self.metrics.latency.labels(*labels).observe(time.perf_counter() - started)
        self.log.submit(fleet, tenant, prediction, logged)
        if routed.fell_back:
            self.metrics.fallbacks.labels(fleet, tenant).inc()
        if routed.shadow is not None:
            background.add_task(self._shadow, routed.shadow, fleet, tenant, logged)
        return answer_json(prediction)

    def _shadow(
        self, job: Callable[[], Prediction | None], fleet: str, tenant: str, logged: Sequence[Any]
    ) -> None:
        """After the answer is sent: score with the challenger and log it as arm 'shadow'."""
        shadowed = job()
        if shadowed is None:
            self.metrics.fallbacks.labels(fleet, tenant).inc()
            return
        labels = (fleet, tenant, shadowed.version, shadowed.arm)
        self.metrics.predictions.labels(*labels).inc(len(shadowed.values))
        self.log.submit(fleet, tenant, shadowed, logged)


def scoring_router(serving: Serving) -> APIRouter:
    """The predict and forecast routes over ``serving``."""
    router = APIRouter(tags=["predict"], responses=SCORING_ERRORS)

    @router.post(
        "/v1/fleets/{fleet}/tenants/{tenant}/predict",
        response_model=PredictOut,
        openapi_extra=request_body_doc(PredictIn),
    )
    async def predict(
        fleet: FleetPath,
        tenant: TenantPath,
        background: BackgroundTasks,
        request: Request,
        request_id: RequestId = None,
        routing_key: RoutingKey = None,
        explain: Explain = False,
    ) -> Response:
        """Score records with the tenant's model of this server's environment."""
        serving.admit(request, fleet, tenant)
        serving.check_fleet(fleet)
        body = parse_body(await request.body(), PredictIn)
        rid = request_id_of(request.scope) or request_id or uuid.uuid4().hex
        records = scrub_records(serving.specs.get(fleet), body.records)  # before score and log

        def score(alias: str | None, arm: str, why: bool) -> Prediction:
            return serving.scorer.predict(
                fleet,
                tenant,
                serving.environment,
                records,
                rid,
                explain=why,
                alias=alias,
                arm=arm,
            )

        job = (fleet, tenant, score, records, rid, routing_key, explain, background)
        if explain or not serving.warm(fleet, tenant):
            return await run_in_threadpool(serving.handle, *job)
        return serving.handle(*job)

    @router.post(
        "/v1/fleets/{fleet}/tenants/{tenant}/forecast",
        response_model=PredictOut,
        openapi_extra=request_body_doc(ForecastIn),
    )
    async def forecast_dates(
        fleet: FleetPath,
        tenant: TenantPath,
        background: BackgroundTasks,
        request: Request,
        request_id: RequestId = None,
        routing_key: RoutingKey = None,
        explain: Explain = False,
    ) -> Response:
        """Forecast dates (or the next ``horizon`` periods) from the tenant's stored history."""
        serving.admit(request, fleet, tenant)
        serving.check_fleet(fleet)
        body = parse_body(await request.body(), ForecastIn)
        spec = serving.specs.get(fleet)
        if spec is None or serving.online is None:
            raise NotFoundError(
                f"forecasts for fleet {fleet!r} need its fleet.yaml: start the server with it "
                f"(`modelfleet serve fleet.yaml --env {serving.environment}`)"
            )
        online = serving.online
        rid = request_id_of(request.scope) or request_id or uuid.uuid4().hex
        records = scrub_records(spec, body.records or ())  # before score and log

        def score(alias: str | None, arm: str, why: bool) -> Prediction:
            return forecast(
                serving.scorer,
                online,
                spec,
                tenant,
                serving.environment,
                horizon=body.horizon,
                records=records,
                request_id=rid,
                explain=why,
                alias=alias,
                arm=arm,
            )

        if body.horizon is not None and records:
            raise InputError(
                "send either records or a horizon, not both",
                ((("horizon",), "given with records", "value_error"),),
            )
        logged: list[Any] = records

        def logged_rows(prediction: Prediction) -> list[Any]:
            return records or [
                {spec.data_schema.timestamp: str(t)[:10]} for t in prediction.timestamps
            ]

        out = await run_in_threadpool(
            serving.handle,
            fleet,
            tenant,
            _logging(score, logged, logged_rows),
            logged,
            rid,
            routing_key,
            explain,
            background,
        )
        return out

    return router


def _logging(
    score: ScoreWith, logged: list[Any], rows: Callable[[Prediction], list[Any]]
) -> ScoreWith:
    """``score``, filling ``logged`` with one input row per forecast date once it is known."""

    def wrapped(alias: str | None, arm: str, why: bool) -> Prediction:
        prediction = score(alias, arm, why)
        if not logged:
            logged.extend(rows(prediction))
        return prediction

    return wrapped
