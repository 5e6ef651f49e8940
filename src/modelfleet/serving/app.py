"""The prediction server: every tenant's model of one environment behind one endpoint.

``create_app(settings, environment, specs=...)`` builds the FastAPI app. It opens the metadata
store (which version each tenant's environment alias names), the artifact store (the versions'
packages) and the online store (each tenant's recent rows, for forecasts); it never reads
training data. Routes (:mod:`.routes`):

* ``POST /v1/fleets/{fleet}/tenants/{tenant}/predict``: records in, one prediction per record;
* ``POST /v1/fleets/{fleet}/tenants/{tenant}/forecast``: dates (or a horizon) in;
* ``GET /healthz`` (up), ``/readyz`` (the store answers; the model cache's state), ``/metrics``.

Errors have the control plane's one shape (:mod:`modelfleet.api.handlers`): a bad record is a
422 naming each field, an unknown tenant or environment a 404; never a traceback.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from modelfleet.api import handlers
from modelfleet.api.limits import Limits, RequestLimits
from modelfleet.api.responses import APP_ERRORS
from modelfleet.config.serving_blocks import ServingSpec
from modelfleet.config.settings import Settings
from modelfleet.config.spec import FleetSpec
from modelfleet.errors import InputError
from modelfleet.features.online.backends import open_online_store
from modelfleet.quoting import redact_url
from modelfleet.registry.reads import ArtifactStores
from modelfleet.registry.refs import check_alias
from modelfleet.scoring import Scorer, ScoringLimits
from modelfleet.scoring.log import PredictionLog
from modelfleet.scoring.overrides import TrafficOverrides
from modelfleet.serving.answers import input_error
from modelfleet.serving.gate import Gate
from modelfleet.serving.metrics import ServerMetrics
from modelfleet.serving.request_log import RequestLog
from modelfleet.serving.routes import Serving, scoring_router
from modelfleet.store import open_store
from modelfleet.version import __version__
from modelfleet.wire import HealthOut
from modelfleet.wire.scoring import CacheOut, ReadyOut

# Prediction bodies carry records: room for 10,000 of them, well above the control plane's 1 MiB.
DEFAULT_MAX_BODY_BYTES = 16 << 20


def create_app(
    settings: Settings,
    environment: str,
    *,
    specs: Sequence[FleetSpec] = (),
    fleets: Collection[str] = (),
    serving: Mapping[str, ServingSpec] | None = None,
    limits: ScoringLimits | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    log_options: Mapping[str, Any] | None = None,
) -> FastAPI:
    """The prediction server for ``environment`` over ``settings``' stores.

    ``specs`` (loaded for ``environment``) are the fleets served: their routing applies and
    their tenants can be forecast. With ``fleets`` or ``specs`` only those fleets are served (a
    request for another is a 404 saying so); without, every fleet the store holds (predict
    only). ``serving`` overrides a fleet's ``serving:`` block (routing). ``log_options`` tune
    the prediction log (:class:`~modelfleet.scoring.log.PredictionLog`: ``max_queue``,
    ``batch_rows``, ``flush_seconds``).
    """
    environment = check_alias(environment)
    by_fleet = {spec.name: spec for spec in specs}
    blocks = {**{name: spec.serving for name, spec in by_fleet.items()}, **(serving or {})}
    store = open_store(settings.store_url)
    online = open_online_store(settings.online_url) if by_fleet and settings.online_url else None
    scorer = Scorer(store, ArtifactStores(settings.artifacts_url), limits)
    prediction_log = PredictionLog(store, **(log_options or {}))
    metrics = ServerMetrics(scorer.stats, prediction_log.stats)
    state = Serving(
        environment=environment,
        scorer=scorer,
        log=prediction_log,
        metrics=metrics,
        served=frozenset(fleets) | frozenset(blocks),
        routing={name: block.routing for name, block in blocks.items()},
        specs=by_fleet,
        online=online,
        overrides=TrafficOverrides(store, scorer.watch),
        gate=Gate(store) if settings.auth else None,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        prediction_log.close()  # on SIGTERM too: everything answered is written first
        if online is not None:
            online.close()
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
    # No depth scan: the scoring routes parse with orjson, which refuses deep nesting itself.
    limits_of_requests = Limits(max_body_bytes=max_body_bytes, max_json_depth=None)
    app.add_middleware(RequestLimits, limits=limits_of_requests)
    app.add_middleware(RequestLog)  # outermost: even a refused body gets its id and its line
    handlers.install(app)
    app.add_exception_handler(InputError, input_error)
    app.include_router(scoring_router(state))
    served = state.served

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
