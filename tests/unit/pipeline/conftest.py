"""Hand-built tenant tasks for the per-tenant pipeline: one store, daily rows, known features."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from modelfleet.config.spec import FleetSpec, parse_spec
from modelfleet.pipeline.tenant import TenantTask

START = np.datetime64("2024-01-01", "D")
FEATURES = ("lag_7", "promo", "region")


def unit_spec(base_dir: Path, horizon: int) -> FleetSpec:
    """A small valid regression spec with a categorical covariate."""
    return parse_spec(
        {
            "name": "unit-fleet",
            "schema": {
                "tenant_key": "store",
                "timestamp": "date",
                "target": "sales",
                "frequency": "D",
                "columns": {"promo": "int", "region": "str"},
            },
            "sources": [{"name": "sales", "path": "sales.csv"}],
            "features": {
                "lags": [horizon],
                "calendar": [],
                "covariates": ["promo", "region"],
                "categorical": ["region"],
            },
            "model": {"family": "lightgbm", "params": {"n_estimators": 10, "min_child_samples": 3}},
            "validation": {"horizon": horizon, "min_train_periods": 7},
        },
        environment=None,
        base_dir=base_dir,
        file_label=str(base_dir / "fleet.yaml"),
    )


def task_frame(
    days: int,
    *,
    skip: Sequence[int] = (),
    unknown_after: int | None = None,
    regions: Sequence[str | None] | None = None,
) -> pa.Table:
    """Rows for days 0..days-1 except ``skip``; sales = 100 + day (null from ``unknown_after``)."""
    day = np.array([d for d in range(days) if d not in set(skip)])
    sales = (100.0 + day).astype(object)
    if unknown_after is not None:
        sales[day >= unknown_after] = None
    region = list(regions) if regions is not None else ["north"] * len(day)
    return pa.table(
        {
            "_tenant": pa.array(["s1"] * len(day)),
            "date": pa.array((START + day).astype("datetime64[us]")),
            "sales": pa.array(list(sales), pa.float64()),
            "lag_7": pa.array(np.where(day >= 7, 93.0 + day, np.nan), from_pandas=True),
            "promo": pa.array(day % 2),
            "region": pa.array(region, pa.string()),
        }
    )


@pytest.fixture
def make_task(tmp_path: Path) -> Callable[..., TenantTask]:
    """``make_task(frame, horizon=7)``: a tenant task over ``frame`` with artifacts in tmp."""

    def build(frame: pa.Table, horizon: int = 7, **changes: Any) -> TenantTask:
        fields: dict[str, Any] = {
            "run_id": "r" * 32,
            "fleet_run_id": "f" * 32,
            "fleet": "unit-fleet",
            "tenant": "s1",
            "environment": "dev",
            "spec": unit_spec(tmp_path, horizon),
            "frame": frame,
            "feature_columns": FEATURES,
            "categorical": ("region",),
            "frequency": "D",
            "task_key": "k" * 64,
            "config_hash": "c" * 64,
            "data_fingerprint": "d" * 64,
            "code_version": None,
            "artifacts_url": str(tmp_path / "artifacts"),
        }
        fields.update(changes)
        return TenantTask(**fields)

    return build


@pytest.fixture
def frame() -> Callable[..., pa.Table]:
    """``frame(days, skip=(), unknown_after=None, regions=None)``: a one-store task frame."""
    return task_frame


@pytest.fixture
def unit_spec_factory(tmp_path: Path) -> Callable[..., FleetSpec]:
    """``unit_spec_factory(horizon=7, **validation)``: the unit spec with validation settings."""

    def build(horizon: int = 7, **validation: Any) -> FleetSpec:
        spec = unit_spec(tmp_path, horizon)
        block = spec.validation.model_copy(update=validation)
        return spec.model_copy(update={"validation": block})

    return build
