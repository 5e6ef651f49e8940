"""The app factory uvicorn's worker processes call (``--workers`` needs an import string).

``modelfleet serve`` puts its choices in the environment before starting uvicorn; each worker
builds its own app (its own store connections and model cache) from them.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from modelfleet.config.settings import Settings
from modelfleet.serving.app import create_app

ENVIRONMENT_VAR = "MODELFLEET_SERVE_ENVIRONMENT"
FLEETS_VAR = "MODELFLEET_SERVE_FLEETS"  # comma-separated; empty: every fleet


def app_from_environ() -> FastAPI:
    """The prediction server the environment variables describe."""
    env = dict(os.environ)
    fleets = [name for name in env.get(FLEETS_VAR, "").split(",") if name]
    return create_app(Settings.from_env(env), env.get(ENVIRONMENT_VAR, "prod"), fleets=fleets)
