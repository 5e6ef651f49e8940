from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml


@pytest.fixture
def minimal_spec() -> dict[str, Any]:
    """The smallest valid fleet spec as a mapping."""
    return {
        "name": "demand",
        "schema": {
            "tenant_key": "store",
            "timestamp": "date",
            "target": "sales",
            "columns": {"promo": "int"},
        },
        "sources": [{"name": "sales", "path": "sales.csv"}],
        "features": {"lags": [28], "covariates": ["promo"]},
    }


@pytest.fixture
def write_spec(tmp_path: Path):
    """Write a mapping (or raw text) as fleet.yaml and return its path."""

    def write(body: dict[str, Any] | str, name: str = "fleet.yaml") -> Path:
        path = tmp_path / name
        path.write_text(body if isinstance(body, str) else yaml.safe_dump(body), encoding="utf-8")
        return path

    return write
