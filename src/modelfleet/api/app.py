"""The app factory: ``create_app(settings, specs)`` builds the control plane's FastAPI app.

Settings are built at the edge (``modelfleet server``, a test, an ASGI entry module) and passed
in; nothing here reads ``os.environ``. OpenAPI docs are served at ``/docs`` and the schema at
``/openapi.json``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from modelfleet.api import handlers
from modelfleet.api.backend import ControlPlane, load_specs
from modelfleet.api.limits import DEFAULT_MAX_BODY_BYTES, Limits, RequestLimits
from modelfleet.api.responses import APP_ERRORS
from modelfleet.api.routes import autopilot, feedback, lifecycle, models, runs, traffic
from modelfleet.api.routes.deps import Control
from modelfleet.caller import local_user
from modelfleet.config.settings import Settings
from modelfleet.version import __version__
from modelfleet.wire import HealthOut


def create_app(
    settings: Settings,
    specs: Sequence[Path] = (),
    *,
    server_user: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    limits: Limits | None = None,
) -> FastAPI:
    """The control plane app over ``settings``' stores, applying the policies of ``specs``.

    ``specs`` are fleet.yaml paths, loaded now (a bad one raises ConfigError before the server
    starts); their fleets can be promoted, other fleets' models are read-only here. ``limits``
    bound each request (URL, query parameters, body size and JSON depth; ``max_body_bytes``
    sets only the body size).
    """
    plane = ControlPlane(settings, load_specs(specs), server_user or local_user())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        plane.close()

    app = FastAPI(
        title="modelfleet control plane",
        version=__version__,
        description=(
            "Runs and the model registry of one modelfleet installation: search models, "
            "resolve aliases, promote, approve, roll back, read history and model cards; "
            "ground truth for monitoring."
        ),
        lifespan=lifespan,
        responses=APP_ERRORS,
    )
    app.state.plane = plane
    app.add_middleware(RequestLimits, limits=limits or Limits(max_body_bytes=max_body_bytes))
    handlers.install(app)
    app.include_router(runs.router)
    app.include_router(models.router)
    app.include_router(lifecycle.router)
    app.include_router(traffic.router)
    app.include_router(autopilot.router)
    app.include_router(feedback.router)

    @app.get("/healthz", response_model=HealthOut, tags=["health"])
    def healthz(control: Control) -> HealthOut:
        """Up, and the metadata store answers."""
        info = control.local.info()
        return HealthOut(
            status="ok", version=__version__, store=info.store, fleets=sorted(control.specs)
        )

    return app
