"""Fixtures for the metadata store contract suite: an open store and row factories."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest

from modelfleet.store import (
    ArtifactRow,
    FindingRow,
    FleetRunRow,
    LineageRow,
    MetadataStore,
    MetricRow,
    ParamRow,
    RunBundle,
    RunRow,
    TrialRow,
    open_store,
)

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


class BundleFactory(Protocol):
    def __call__(self, **run_fields: Any) -> RunBundle: ...


@pytest.fixture
def store(store_url: str) -> Iterator[MetadataStore]:
    """An open, migrated, empty store on each backend."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def fleet_run(store: MetadataStore) -> FleetRunRow:
    """A running fleet run that tenant runs can belong to."""
    row = FleetRunRow("fr-1", "demand", "dev", "running", T0, None, "cfg-1")
    store.add_fleet_run(row)
    return row


@pytest.fixture
def make_bundle(fleet_run: FleetRunRow) -> BundleFactory:
    """Build a run bundle; each call starts one minute after the previous one."""
    counter = itertools.count()

    def build(**run_fields: Any) -> RunBundle:
        n = next(counter)
        started = T0 + timedelta(minutes=n)
        fields: dict[str, Any] = {
            "id": f"{n:032x}",
            "fleet_run_id": fleet_run.id,
            "fleet": "demand",
            "tenant": f"store-{n}",
            "environment": "dev",
            "status": "succeeded",
            "task_key": f"task-{n}",
            "config_hash": "cfg-1",
            "data_fingerprint": "data-1",
            "model_family": "lightgbm",
            "code_version": "abc123",
            "reason": None,
            "started_at": started,
            "finished_at": started + timedelta(seconds=30),
            "duration_seconds": 30.0,
        }
        fields.update(run_fields)
        return RunBundle(run=RunRow(**fields))

    return build


@pytest.fixture
def full_bundle(make_bundle: BundleFactory) -> Callable[[], RunBundle]:
    """A bundle with at least one row in every child table."""

    def build() -> RunBundle:
        base = make_bundle(reason="beat the baseline")
        # Keyed rows in the order the store returns them (by scope and key).
        return RunBundle(
            run=base.run,
            params=(ParamRow("model.num_leaves", "31", "int"), ParamRow("note", None, "none")),
            metrics=(
                MetricRow("mae", 2.5, scope="baseline"),
                MetricRow("mae", 1.25),
                MetricRow("fit", 0.75, scope="timing"),
            ),
            artifacts=(
                ArtifactRow("model", "lightgbm", "ab" * 32, "file:///a/model", 1024),
                ArtifactRow("card", "markdown", "cd" * 32, "file:///a/card.md", 12),
            ),
            lineage=(LineageRow("code_version", "abc123"), LineageRow("package:numpy", "2.0")),
            findings=(
                FindingRow("nulls", "warning", "price", 3, "3 nulls", '["r1","r2"]'),
                FindingRow("future_dates", "error", None, 1, "1 future date", "[]"),
            ),
            trials=(TrialRow(0, 1.5, "COMPLETE", '{"lr":0.1}'), TrialRow(1, 1.4, "PRUNED", "{}")),
        )

    return build
