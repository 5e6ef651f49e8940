"""Fixtures for the registry contract suite: a registry per store backend and run factories.

Runs are built as :class:`TenantRunRecord` directly (no pipeline). Most carry made-up artifact
addresses; :func:`trained_run` builds real tiny LightGBM models, metadata and holdouts in a
local artifact store for the tests that re-score models.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy.engine import make_url

from modelfleet.artifacts import LocalArtifactStore
from modelfleet.registry import (
    ModelVersion,
    PromotionPolicy,
    Registry,
    Signature,
    SignatureField,
    StepRule,
)
from modelfleet.store import MetadataStore, open_store
from modelfleet.store.engine import build_engines
from modelfleet.store.urls import parse_store_url
from modelfleet.tracking import ArtifactRecord, TenantRunRecord, new_run_id
from modelfleet.training import FeatureFrame, compute_metrics, resolve_family
from modelfleet.training.package import ModelPackage, PackageMetadata
from modelfleet.training.package_meta import metadata_to_json

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
FLEET = "demand"
ENVIRONMENTS = ("dev", "staging", "prod")
SIGNATURE = Signature(
    (SignatureField("lag_7", "double"), SignatureField("promo", "int64")),
    SignatureField("sales", "float64"),
)
WIDER = Signature((*SIGNATURE.inputs, SignatureField("price", "double")), SIGNATURE.output)


class MakeRun(Protocol):
    def __call__(
        self, tenant: str = "s1", *, wmape: float = 0.2, baseline: float = 0.3, **fields: Any
    ) -> TenantRunRecord: ...


class Add(Protocol):
    def __call__(
        self,
        tenant: str = "s1",
        *,
        wmape: float = 0.2,
        baseline: float = 0.3,
        signature: Signature = SIGNATURE,
        tags: dict[str, str] | None = None,
    ) -> ModelVersion: ...


def ticking_clock() -> Callable[[], datetime]:
    """A clock that moves one second per reading."""
    ticks = itertools.count()
    return lambda: T0 + timedelta(seconds=next(ticks))


# -- stores ---------------------------------------------------------------------------------
#
# The same backends as the root ``store_url`` fixture, set up faster: a new store migrated from
# scratch costs ~50-150 ms on SQLite and ~250 ms on PostgreSQL, which for ~100 tests x 3
# backends would be most of this suite's time. So SQLite stores (file and memory) are copies of
# one migrated template, and PostgreSQL uses one migrated schema per test session (per xdist
# worker) whose registry tables are emptied before each test. Multi-process and migration tests
# use the root ``durable_store_url`` instead.

# Children first. DELETE, not TRUNCATE: on tables this small it is ~10x faster.
REGISTRY_TABLES = (
    "approvals",
    "model_events",
    "aliases",
    "version_tags",
    "version_metrics",
    "model_versions",
    "models",
)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite store file to copy."""
    path = tmp_path_factory.mktemp("registry-template") / "modelfleet.db"
    open_store(f"sqlite:///{path}").close()
    return path


@pytest.fixture(scope="session")
def postgres_registry_url(postgres_server_url: str) -> Iterator[str]:
    """A store URL on a migrated schema of the test server, dropped after the session."""
    import psycopg

    schema = f"mf_registry_{uuid.uuid4().hex[:16]}"
    conninfo = libpq_conninfo(postgres_server_url)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(postgres_server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    open_store(rendered).close()
    try:
        yield rendered
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(
    params=[
        pytest.param("sqlite-file"),
        pytest.param("sqlite-memory"),
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def registry_store(request: pytest.FixtureRequest, tmp_path: Path) -> MetadataStore:
    """An empty, migrated store, once per backend."""
    if request.param == "sqlite-memory":
        return _memory_copy(request.getfixturevalue("sqlite_template"))
    if request.param == "sqlite-file":
        path = tmp_path / "modelfleet.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return open_store(f"sqlite:///{path}")
    import psycopg

    url = str(request.getfixturevalue("postgres_registry_url"))
    with psycopg.connect(libpq_conninfo(url), autocommit=True) as connection:
        for table in REGISTRY_TABLES:
            connection.execute(f"DELETE FROM {table}")
    return open_store(url)


def _memory_copy(template: Path) -> MetadataStore:
    """An in-memory store holding a copy of ``template`` (what ``open_store("sqlite://")``
    builds, minus re-running every migration)."""
    url = parse_store_url("sqlite://")
    read_engine, write_engine = build_engines(url)
    source = sqlite3.connect(template)
    target = read_engine.raw_connection()
    try:
        source.backup(target.driver_connection)  # type: ignore[arg-type]
    finally:
        target.close()
        source.close()
    return MetadataStore(url, read_engine, write_engine)


def libpq_conninfo(url: str) -> str:
    """The URL in the form psycopg accepts (no SQLAlchemy ``+driver`` suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def registry(registry_store: MetadataStore) -> Iterator[Registry]:
    """An empty registry on each store backend."""
    with Registry(registry_store, clock=ticking_clock()) as opened:
        yield opened


def fake_artifacts(run_id: str) -> tuple[ArtifactRecord, ...]:
    """A model artifact address unique to the run (no bytes behind it)."""
    digest = hashlib.sha256(run_id.encode()).hexdigest()
    return (
        ArtifactRecord("model", "lightgbm", digest, f"file:///nowhere/{digest[:2]}/{digest}", 10),
    )


def build_run(
    tenant: str = "s1",
    *,
    wmape: float = 0.2,
    baseline: float = 0.3,
    fleet: str = FLEET,
    **fields: Any,
) -> TenantRunRecord:
    """A run record of ``fleet/tenant`` with the given candidate and baseline WMAPE."""
    run_id = fields.pop("run_id", None) or new_run_id()
    values: dict[str, Any] = {
        "run_id": run_id,
        "fleet_run_id": "f" * 32,
        "fleet": fleet,
        "tenant": tenant,
        "environment": "dev",
        "status": "succeeded",
        "started_at": T0,
        "finished_at": T0 + timedelta(seconds=5),
        "task_key": f"task-{run_id}",
        "config_hash": "cfg-1",
        "data_fingerprint": "data-1",
        "model_family": "lightgbm",
        "code_version": "abc123",
        "params": {},
        "metrics": {"wmape": wmape, "mae": 10 * wmape},
        "baseline_metrics": {"wmape": baseline, "mae": 10 * baseline},
        "timings": {},
        "artifacts": fake_artifacts(run_id),
    }
    values.update(fields)
    return TenantRunRecord(**values)


@pytest.fixture
def make_run() -> MakeRun:
    """Build a run record (not registered)."""
    return build_run


@pytest.fixture
def add(registry: Registry) -> Add:
    """Register a fresh run of a tenant and return its version."""

    def register(
        tenant: str = "s1",
        *,
        wmape: float = 0.2,
        baseline: float = 0.3,
        signature: Signature = SIGNATURE,
        tags: dict[str, str] | None = None,
    ) -> ModelVersion:
        run = build_run(tenant, wmape=wmape, baseline=baseline)
        return registry.register(run, signature, caller="trainer", tags=tags)

    return register


def policy(**steps: StepRule) -> PromotionPolicy:
    """dev -> staging -> prod on WMAPE with the given step rules."""
    return PromotionPolicy(order=ENVIRONMENTS, steps=steps, metric="wmape")


# -- real models for re-scoring -------------------------------------------------------------

REGIONS = ("east", "north", "south")
REGION_LEVEL = {"east": 50.0, "north": 100.0, "south": 10.0}
MODEL_SIGNATURE = Signature(
    (SignatureField("x", "double"), SignatureField("region", "string", categorical=True)),
    SignatureField("sales", "float64"),
)


@dataclass(frozen=True)
class Holdout:
    """Rows to score: raw x, region names and the target."""

    x: np.ndarray
    regions: list[str]
    y: np.ndarray


def sales(x: np.ndarray, regions: Sequence[str], slope: float) -> np.ndarray:
    """The data-generating rule: a level per region plus ``slope`` * x."""
    return np.array([REGION_LEVEL[r] for r in regions]) + slope * x


def holdout_rows(n: int = 60, seed: int = 1) -> Holdout:
    """A holdout drawn from the true rule (slope 2)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, n)
    regions = [REGIONS[i % 2 + 1] for i in range(n)]  # north and south only
    return Holdout(x, regions, sales(x, regions, 2.0))


def _frame(x: np.ndarray, regions: Sequence[str], vocab: Sequence[str]) -> FeatureFrame:
    codes = pa.array([vocab.index(r) for r in regions], pa.int32())
    stamps = np.datetime64("2024-01-01") + np.arange(len(x)).astype("timedelta64[D]")
    return FeatureFrame(pa.table({"x": pa.array(x), "region": codes}), stamps, ("region",))


def trained_run(
    root: Path,
    tenant: str,
    *,
    slope: float,
    vocab: Sequence[str],
    holdout: Holdout,
    recorded_wmape: float | None = None,
    legacy_meta: bool = False,
) -> TenantRunRecord:
    """Train LightGBM on the rule with ``slope``; store its package and ``holdout`` as a run.

    The run's recorded WMAPE is its true score on ``holdout`` unless ``recorded_wmape`` says
    otherwise (to stand for a score measured on some other, older holdout). ``legacy_meta``
    stores the run as runs were before packages: model bytes behind a JSON header, a
    ``model_meta`` without ``format_version``, no signature on the record.
    """
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 10, 300)
    regions = [vocab[i % len(vocab)] for i in range(300)]
    train = _frame(x, regions, vocab)
    params = {"n_estimators": 60, "min_child_samples": 3, "learning_rate": 0.3}
    estimator = resolve_family("lightgbm").fit(
        train, sales(x, regions, slope), "regression", params
    )
    frame = _frame(holdout.x, holdout.regions, vocab)
    true_wmape = compute_metrics("regression", holdout.y, estimator.predict(frame))["wmape"]
    store = LocalArtifactStore(root)
    meta = PackageMetadata(
        fleet=FLEET,
        tenant=tenant,
        family="lightgbm",
        task="regression",
        frequency="D",
        horizon=len(holdout.x),
        timestamp="date",
        target="sales",
        feature_columns=("x", "region"),
        categorical=("region",),
        vocabulary={"region": tuple(vocab)},
        signature=MODEL_SIGNATURE,
    )
    refs = ModelPackage(estimator, meta).save(store)
    model_ref, meta_ref = refs.model, refs.meta
    if legacy_meta:
        header = {"format": "modelfleet.lightgbm", "version": 1, "task": "regression"}
        header |= {"features": ["x", "region"], "categorical": ["region"]}
        model_ref = store.put_bytes(json.dumps(header).encode() + b"\n" + estimator.to_bytes())
        old = json.loads(metadata_to_json(meta, model_ref.digest))
        del old["format_version"], old["feature_views"]
        meta_ref = store.put_bytes(json.dumps(old).encode())
    table = frame.features.append_column(
        "__timestamp", pa.array(frame.timestamps.astype("datetime64[us]"))
    ).append_column("__target", pa.array(holdout.y))
    sink = io.BytesIO()
    pq.write_table(table, sink)
    holdout_ref = store.put_bytes(sink.getvalue())
    wmape = true_wmape if recorded_wmape is None else recorded_wmape
    return build_run(
        tenant,
        wmape=wmape,
        baseline=1.0,
        artifacts=(
            ArtifactRecord("model", "lightgbm", model_ref.digest, model_ref.uri, 1),
            ArtifactRecord("model_meta", "json", meta_ref.digest, meta_ref.uri, 1),
            ArtifactRecord("holdout", "parquet", holdout_ref.digest, holdout_ref.uri, 1),
        ),
        signature=None if legacy_meta else MODEL_SIGNATURE,
    )
