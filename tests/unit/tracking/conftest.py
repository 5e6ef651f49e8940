"""Fixtures for tracking tests: a tracker on an in-memory store and a record factory."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from modelfleet.store import open_store
from modelfleet.tracking import (
    ArtifactRecord,
    FindingRecord,
    TenantRunRecord,
    Tracker,
    TrialRecord,
    new_run_id,
)

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """A clock that ticks one second per reading, so start/finish order is deterministic."""
    ticks = itertools.count()
    return lambda: T0 + timedelta(seconds=next(ticks))


@pytest.fixture
def tracker(clock: Callable[[], datetime]) -> Iterator[Tracker]:
    """A tracker on a fresh in-memory store."""
    with Tracker(open_store("sqlite://"), clock=clock) as opened:
        yield opened


@pytest.fixture
def fleet_run_id(tracker: Tracker) -> str:
    """A started fleet run of the demand fleet in dev."""
    return tracker.start_fleet_run("demand", "dev", "cfg-1")


@pytest.fixture
def make_record(fleet_run_id: str) -> Callable[..., TenantRunRecord]:
    """Build a tenant run record; each call starts one minute after the previous one."""
    counter = itertools.count()

    def build(**overrides: Any) -> TenantRunRecord:
        n = next(counter)
        started = T0 + timedelta(minutes=n)
        fields: dict[str, Any] = {
            "run_id": new_run_id(),
            "fleet_run_id": fleet_run_id,
            "fleet": "demand",
            "tenant": f"store-{n}",
            "environment": "dev",
            "status": "succeeded",
            "started_at": started,
            "finished_at": started + timedelta(seconds=42),
            "task_key": f"task-{n}",
            "config_hash": "cfg-1",
            "data_fingerprint": "data-1",
            "model_family": "lightgbm",
            "code_version": "abc123",
            "params": {"model.num_leaves": 31},
            "metrics": {"mae": 1.5},
            "baseline_metrics": {"mae": 2.0},
            "timings": {"fit": 0.5},
        }
        fields.update(overrides)
        return TenantRunRecord(**fields)

    return build


@pytest.fixture
def full_record(make_record: Callable[..., TenantRunRecord]) -> Callable[[], TenantRunRecord]:
    """A record using every field, with every param type."""

    def build() -> TenantRunRecord:
        return make_record(
            params={
                "model.num_leaves": 31,
                "model.learning_rate": 0.05,
                "model.objective": "l2",
                "features.lags": True,
                "model.max_depth": None,
                "big": 2**62,
            },
            metrics={"mae": 1.25, "rmse": 2.5},
            baseline_metrics={"mae": 3.0, "rmse": 4.0},
            timings={"ingest": 0.1, "fit": 2.0},
            artifacts=[
                ArtifactRecord("model", "lightgbm", "a" * 64, "file:///art/a", 2048),
                ArtifactRecord("card", "markdown", "b" * 64, "file:///art/b", 10),
            ],
            lineage={"code_version": "abc123", "package:lightgbm": "4.3.0"},
            trials=[
                TrialRecord(0, 1.4, {"num_leaves": 15, "lr": 0.1}, "COMPLETE"),
                TrialRecord(1, 1.3, {"num_leaves": 63, "lr": 0.05}, "COMPLETE"),
            ],
            findings=[
                FindingRecord("nulls", "warning", "price", 3, "3 nulls", ("row 1", "row 9")),
                FindingRecord("rows", "error", None, 0, "no rows"),
            ],
            reason=None,
        )

    return build
