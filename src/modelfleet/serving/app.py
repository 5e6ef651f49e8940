"""The prediction server: every tenant's model of one environment behind one endpoint.

``create_app(settings, environment)`` builds the FastAPI app. It opens only the metadata store
(which version each tenant's environment alias names) and the artifact store (the versions'
packages); it never reads training data. Routes:

* ``POST /v1/fleets/{fleet}/tenants/{tenant}/predict``: records in, one prediction per record;
* ``GET /healthz`` (up), ``/readyz`` (the store answers; the model cache's state), ``/metrics``.

Errors have the control plane's one shape (:mod:`modelfleet.api.handlers`): a bad record is a
422 naming each field, an unknown tenant or environment a 404; never a traceback.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import BackgroundTasks, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from modelfleet.api import handlers
from modelfleet.api.handlers import error_response
from modelfleet.api.limits import Limits, RequestLimits
from modelfleet.api.params import FleetPath, TenantPath
from modelfleet.api.responses import APP_ERRORS
from modelfleet.config.serving_blocks import RoutingSpec, ServingSpec
from modelfleet.config.settings import Settings
from modelfleet.errors import InputError, NotFoundError
from modelfleet.quoting import redact_url
from modelfleet.registry.reads import ArtifactStores
from modelfleet.registry.refs import check_alias
from modelfleet.scoring import Prediction, Scorer, ScoringLimits
from modelfleet.scoring.log import PredictionLog
from modelfleet.scoring.routed import score_routed
from modelfleet.serving.metrics import ServerMetrics
from modelfleet.store import open_store
from modelfleet.version import __version__
from modelfleet.wire import ErrorField, HealthOut
from modelfleet.wire.scoring import (
    CacheOut,
    ContributionsOut,
    PredictIn,
    PredictionRowOut,
    PredictOut,
    ReadyOut,
)

# Prediction bodies carry records: room for 10,000 of them, well above the control plane's 1 MiB.
DEFAULT_MAX_BODY_BYTES = 16 << 20
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


def _answer(prediction: Prediction) -> PredictOut:
    stamps = prediction.timestamps.astype("datetime64[s]").astype(str)
    found = prediction.explanation
    reasons: list[ContributionsOut | None] = [None] * len(stamps)
    if found is not None:
        reasons = [
            ContributionsOut(
                base=float(base), contributions=dict(zip(found.names, row.tolist(), strict=True))
            )
            for base, row in zip(found.base, found.contributions, strict=True)
        ]
    return PredictOut(
        request_id=prediction.request_id,
        model=prediction.model,
        version=prediction.version,
        environment=prediction.environment,
        arm=prediction.arm,
        predictions=[
            PredictionRowOut(timestamp=str(t), value=float(v), explanation=why)
            for t, v, why in zip(stamps, prediction.values, reasons, strict=True)
        ],
        explanation_method=None if found is None else found.method,
        explanation_scale=None if found is None else found.scale,
    )


async def _input_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InputError)
    fields = [
        ErrorField(loc=["body", *loc], message=message, type=kind)
        for loc, message, kind in exc.fields
    ]
    return error_response(exc.http_status, exc.headline, exc.message, fields)


def create_app(
    settings: Settings,
    environment: str,
    *,
    fleets: Collection[str] = (),
    serving: Mapping[str, ServingSpec] | None = None,
    limits: ScoringLimits | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    log_options: Mapping[str, Any] | None = None,
) -> FastAPI:
    """The prediction server for ``environment`` over ``settings``' stores.

    With ``fleets`` only those fleets are served (a request for another is a 404 saying so);
    without, every fleet the store holds. ``serving`` is each fleet's ``serving:`` block (its
    routing; a fleet without one is champion only). ``log_options`` tune the prediction log
    (:class:`~modelfleet.scoring.log.PredictionLog`: ``max_queue``, ``batch_rows``,
    ``flush_seconds``).
    """
    environment = check_alias(environment)
    served = frozenset(fleets) | frozenset(serving or {})
    routes = {fleet: spec.routing for fleet, spec in (serving or {}).items()}
    champion_only = RoutingSpec()

    def routing_of(fleet: str) -> RoutingSpec:
        return routes.get(fleet, champion_only)

    store = open_store(settings.store_url)
    scorer = Scorer(store, ArtifactStores(settings.artifacts_url), limits)
    prediction_log = PredictionLog(store, **(log_options or {}))
    metrics = ServerMetrics(scorer.stats, prediction_log.stats)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        prediction_log.close()  # on SIGTERM too: everything answered is written first
        store.close()

    app = FastAPI(
        title="modelfleet prediction server",
        version=__version__,
        description=f"Every tenant's {environment} model, one endpoint per tenant.",
        lifespan=lifespan,
        responses=APP_ERRORS,
    )
    app.state.scorer = scorer
    app.state.prediction_log = prediction_log
    app.add_middleware(RequestLimits, limits=Limits(max_body_bytes=max_body_bytes))
    handlers.install(app)
    app.add_exception_handler(InputError, _input_error)

    @app.post(
        "/v1/fleets/{fleet}/tenants/{tenant}/predict",
        response_model=PredictOut,
        tags=["predict"],
    )
    def predict(
        fleet: FleetPath,
        tenant: TenantPath,
        body: PredictIn,
        background: BackgroundTasks,
        request_id: RequestId = None,
        routing_key: RoutingKey = None,
        explain: Annotated[
            bool, Query(description="add per-feature contributions to each prediction")
        ] = False,
    ) -> PredictOut:
        """Score records with the tenant's model of this server's environment."""
        started = time.perf_counter()
        if served and fleet not in served:
            raise NotFoundError(
                f"fleet {fleet!r} is not served here; this server serves "
                f"{', '.join(sorted(served))} ({environment})"
            )
        status = "5xx"
        try:
            routed = score_routed(
                scorer,
                routing_of(fleet),
                fleet,
                tenant,
                environment,
                body.records,
                request_id or uuid.uuid4().hex,
                routing_key,
                explain=explain,
            )
            prediction = routed.prediction
            status = "2xx"
        except InputError:
            status = "4xx"
            raise
        except Exception as exc:  # counted, then answered by the error handlers
            status = "4xx" if getattr(exc, "http_status", 500) < 500 else "5xx"
            raise
        finally:
            metrics.requests.labels(fleet, tenant, status).inc()
        labels = (fleet, tenant, prediction.version, prediction.arm)
        metrics.predictions.labels(*labels).inc(len(prediction.values))
        metrics.latency.labels(*labels).observe(time.perf_counter() - started)
        prediction_log.submit(fleet, tenant, prediction, body.records)
        if routed.fell_back:
            metrics.fallbacks.labels(fleet, tenant).inc()
        if routed.shadow is not None:
            background.add_task(_shadow, routed.shadow, fleet, tenant, body.records)
        return _answer(prediction)

    def _shadow(
        job: Callable[[], Prediction | None], fleet: str, tenant: str, records: list[Any]
    ) -> None:
        """After the answer is sent: score with the challenger and log it as arm 'shadow'."""
        shadowed = job()
        if shadowed is None:
            metrics.fallbacks.labels(fleet, tenant).inc()
            return
        labels = (fleet, tenant, shadowed.version, shadowed.arm)
        metrics.predictions.labels(*labels).inc(len(shadowed.values))
        prediction_log.submit(fleet, tenant, shadowed, records)

    @app.get("/healthz", response_model=HealthOut, tags=["health"])
    def healthz() -> HealthOut:
        """Up (the process answers)."""
        return HealthOut(
            status="ok", version=__version__, store=store.backend, fleets=sorted(served)
        )

    @app.get("/readyz", response_model=ReadyOut, tags=["health"])
    def readyz() -> ReadyOut:
        """Ready: the metadata store answers; what the model cache holds."""
        store.schema_revision()  # one query: the metadata store answers
        stats = scorer.stats()
        return ReadyOut(
            status="ready",
            environment=environment,
            store=redact_url(settings.store_url),
            cache=CacheOut.of(stats),
        )

    @app.get("/metrics", tags=["health"], response_class=Response)
    def prometheus_metrics() -> Response:
        """Prometheus text format: requests, latency, predictions, the model cache."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
