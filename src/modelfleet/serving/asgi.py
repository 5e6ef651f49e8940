"""The app factory uvicorn's worker processes call (``--workers`` needs an import string).

``modelfleet serve`` puts its choices in the environment before starting uvicorn; each worker
builds its own app (its own store connections and model cache) from them, loading the fleet
specs itself so their ``serving:`` blocks (routing) apply in every worker.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from modelfleet.config.settings import Settings
from modelfleet.config.spec import load_spec
from modelfleet.serving.app import create_app

ENVIRONMENT_VAR = "MODELFLEET_SERVE_ENVIRONMENT"
SPECS_VAR = "MODELFLEET_SERVE_SPECS"  # fleet.yaml paths joined by os.pathsep; empty: every fleet


def app_from_environ() -> FastAPI:
    """The prediction server the environment variables describe."""
    env = dict(os.environ)
    environment = env.get(ENVIRONMENT_VAR, "prod")
    paths = [path for path in env.get(SPECS_VAR, "").split(os.pathsep) if path]
    specs = [load_spec(path, environment) for path in paths]
    return create_app(Settings.from_env(env), environment, specs=specs)
