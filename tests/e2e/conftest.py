"""End-to-end: the installed ``modelfleet`` console script in a fresh folder, real process pool."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def modelfleet_script() -> Path:
    """The console script installed next to this interpreter."""
    script = Path(sys.executable).with_name("modelfleet")
    if not script.exists():
        pytest.skip(f"the modelfleet console script is not installed next to {sys.executable}")
    return script
