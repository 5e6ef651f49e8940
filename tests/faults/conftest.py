"""Fault injection: the installed ``modelfleet`` console script, real processes, real faults."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# Estimator classes the console script's workers can import by name (shared with the
# integration tests of the pipeline).
HELPERS = Path(__file__).resolve().parents[1] / "integration" / "pipeline" / "helpers"


@pytest.fixture(scope="session")
def modelfleet_script() -> Path:
    """The console script installed next to this interpreter."""
    script = Path(sys.executable).with_name("modelfleet")
    if not script.exists():
        pytest.skip(f"the modelfleet console script is not installed next to {sys.executable}")
    return script


@pytest.fixture(scope="session")
def clean_env() -> Callable[..., dict[str, str]]:
    """``clean_env(**extra)``: this process's environment without MODELFLEET_* plus ``extra``."""

    def build(**extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODELFLEET_")}
        env.update(extra)
        return env

    return build


@pytest.fixture(scope="session")
def helpers_dir() -> Path:
    """The folder holding ``modelfleet_test_families`` (put it on PYTHONPATH)."""
    return HELPERS
