"""Fixtures for the feature store's offline tests: small sources, views and spec bodies.

Times in these tests are whole seconds after ``EPOCH_2024`` (a Monday), so the expected values
can be worked out by hand; ``at(seconds)`` builds them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml

from modelfleet.features import Feature, FeatureStore, FeatureView, OnDemandFeature

EPOCH_2024 = datetime(2024, 1, 1)  # a Monday


@pytest.fixture
def at() -> Callable[..., datetime]:
    """``at(seconds, microseconds=0)``: a naive time that many seconds after 2024-01-01."""

    def moment(seconds: float, microseconds: int = 0) -> datetime:
        return EPOCH_2024 + timedelta(seconds=seconds, microseconds=microseconds)

    return moment


@pytest.fixture
def make_store() -> Callable[..., FeatureStore]:
    """``make_store(table, features, **view_options)``: one view named ``v`` over ``table``.

    The view is keyed by ``k`` and timed by ``ts`` unless ``entities=``/``timestamp=`` say
    otherwise; ``on_demand=`` adds on-demand features.
    """

    def build(
        table: pa.Table,
        features: Sequence[Feature],
        *,
        on_demand: Sequence[OnDemandFeature] = (),
        **options: Any,
    ) -> FeatureStore:
        options.setdefault("entities", ["k"])
        options.setdefault("timestamp", "ts")
        view = FeatureView(name="v", source="src", features=list(features), **options)
        return FeatureStore([view], tables={"src": table}, on_demand=on_demand)

    return build


@pytest.fixture
def sales_table(at: Callable[..., datetime]) -> pa.Table:
    """Daily-ish sales of stores 1 and 2, out of time order, with one duplicate event."""
    return pa.table(
        {
            "store": [1, 2, 1, 1, 2, 1],
            "ts": [at(86400 * d) for d in (2, 0, 0, 1, 3, 2)],
            "sales": [12.0, 20.0, 10.0, 11.0, 23.0, 13.0],
            "promo": [1, 0, 0, 1, 1, 0],
        }
    )


@pytest.fixture
def sales_view() -> FeatureView:
    """Store sales with a 2-day TTL: the sales value, the promo flag and their product."""
    return FeatureView(
        name="sales",
        entities=["store"],
        timestamp="ts",
        source="sales",
        ttl="2d",
        features=[
            Feature(name="sales", expr="sales"),
            Feature(name="promo", expr="promo"),
            Feature(name="promo_sales", expr="sales * promo"),
        ],
    )


@pytest.fixture
def sales_store(sales_view: FeatureView, sales_table: pa.Table) -> FeatureStore:
    """A store holding only ``sales_view`` over ``sales_table``."""
    return FeatureStore([sales_view], tables={"sales": sales_table})


@pytest.fixture
def fleet_body() -> dict[str, Any]:
    """The smallest valid fleet spec as a mapping (no feature views yet)."""
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
def write_fleet_yaml(tmp_path: Path) -> Callable[[dict[str, Any]], Path]:
    """Write a spec mapping as ``fleet.yaml`` in the test's tmp dir and return its path."""

    def write(body: dict[str, Any]) -> Path:
        path = tmp_path / "fleet.yaml"
        path.write_text(yaml.safe_dump(body), encoding="utf-8")
        return path

    return write
