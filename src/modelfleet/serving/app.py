"""The app factory: ``create_app(settings, specs)`` builds the control plane's FastAPI app.

Settings are built at the edge (``modelfleet server``, a test, an ASGI entry module) and passed
in; nothing here reads ``os.environ``. OpenAPI docs are served at ``/docs`` and the schema at
``/openapi.json``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from modelfleet.config.settings import Settings
from modelfleet.serving import handlers
from modelfleet.serving.backend import ControlPlane, load_specs
from modelfleet.serving.limits import DEFAULT_MAX_BODY_BYTES, BodyLimit
from modelfleet.serving.routes import lifecycle, models, runs
from modelfleet.serving.routes.deps import Plane
from modelfleet.serving.schemas import HealthOut
from modelfleet.version import __version__


def local_user() -> str:
    """The account the server runs as: who writes are recorded as when a request names nobody."""
    try:
        import pwd  # POSIX; reads the account database, not environment variables

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return "unknown"


def create_app(
    settings: Settings,
    specs: Sequence[Path] = (),
    *,
    default_actor: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """The control plane app over ``settings``' stores, applying the policies of ``specs``.

    ``specs`` are fleet.yaml paths, loaded now (a bad one raises ConfigError before the server
    starts); their fleets can be promoted, other fleets' models are read-only here.
    """
    plane = ControlPlane(settings, load_specs(specs), default_actor or local_user())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        plane.close()

    app = FastAPI(
        title="modelfleet control plane",
        version=__version__,
        description=(
            "Runs and the model registry of one modelfleet installation: search models, "
            "resolve aliases, promote, approve, roll back, read history and model cards."
        ),
        lifespan=lifespan,
    )
    app.state.plane = plane
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    handlers.install(app)
    app.include_router(runs.router)
    app.include_router(models.router)
    app.include_router(lifecycle.router)

    @app.get("/healthz", response_model=HealthOut, tags=["health"])
    def healthz(plane: Plane) -> HealthOut:
        """Up, and the metadata store answers."""
        return HealthOut(
            status="ok",
            version=__version__,
            store=plane.tracker.store.backend,
            fleets=sorted(plane.specs),
        )

    return app
