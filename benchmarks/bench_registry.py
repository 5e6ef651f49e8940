"""Register 10,000 versions over 5,000 models in modelfleet's registry and in MLflow's, then
time aliases, alias resolution, search and model loading on both.

Both registries get the same content, on SQLite, in a fresh temporary folder each:
``--models`` tenants (default 5,000) of one fleet, ``--versions`` versions each (default 2,
so 10,000 versions), every version with 6 holdout metrics, the same 6 baseline metrics and 3
tags (``customer``, ``region``, ``tier``: ``--customers`` customers, 100 tenants each by
default; region and tier follow from the customer), and a ``prod`` alias on every model (the
newest version, or the first one for every tenth model, so "prod" and "newest" differ). The
model is one tiny real LightGBM booster, trained once and shared by every version, so the
numbers measure the registries and not training or artifact size.

``modelfleet``
    ``Registry.open("sqlite:///<tmp>/modelfleet.db", <tmp>/artifacts)``. Each version is a
    succeeded ``TenantRunRecord`` whose ``model`` and ``model_meta`` artifacts are in a
    modelfleet artifact store (``model_meta`` is the JSON ``pipeline/tenant.py`` writes, with
    the signature); ``register_many`` reads each run's signature from it, as the fleet runner
    does. Registration: ``register_many`` in batches of ``--batch`` runs, round by round (all
    first versions, then all retrains: one fleet run after the other). ``register_many`` takes
    one tag set per call, so a batch holds runs of one customer. Single ``register`` calls are
    timed on a separate fresh store for the first ``--single`` versions. Then
    ``set_alias(model, "prod", version)`` per model; ``resolve("demand/<tenant>@prod")``;
    ``search(fleet=, tags={"customer": c}, environment="prod",
    metrics=[MetricFilter("wmape", ">", 0.3)], limit=None)`` and the fleet-wide
    ``search(fleet=, environment="prod", metrics=[...], limit=None)``; loading = resolve +
    ``open_artifact_store(url).get_bytes(digest)`` (sha256-verified) +
    ``resolve_family(family).load(blob)`` (modelfleet has no one-call "load this reference").
``MLflow``
    ``MlflowClient(tracking_uri=registry_uri="sqlite:///<tmp>/mlflow.db")``. Registration per
    version: ``create_registered_model(name, tags=...)`` for a model's first version, then
    ``create_model_version(name, source=<local MLflow model dir>, tags=...)`` with no run: the
    cheapest legitimate path (the model dir is written once by ``mlflow.lightgbm.save_model``
    with a signature and pinned requirements, outside the clock, like modelfleet's artifacts).
    MLflow model versions have no metrics, so metrics go into version tags (``wmape``,
    ``baseline.wmape``, ...) with the 3 tags; the 3 tags also go on the registered model,
    because only registered models carry aliases in search results. Names are
    ``demand.<tenant>`` (MLflow refuses ``/``). Aliases: ``set_registered_model_alias``;
    resolution: ``get_model_version_by_alias(name, "prod")``; loading:
    ``mlflow.lightgbm.load_model("models:/<name>@prod")``.

Search is not the same query language. MLflow's version filter takes ``name``, ``run_id``,
``source_path``, ``version_number`` and tags compared with ``= != LIKE ILIKE`` only: no
numeric comparison on tags and no alias filter, and ``search_model_versions`` returns empty
``aliases``. The MLflow side of "customer c, prod, wmape > 0.3" is therefore the closest
equivalent a user can write: ``search_registered_models("name LIKE 'demand.%' AND
tags.customer = 'c'")`` for the aliases, ``search_model_versions`` with the same filter for the
versions and their tags, then a client-side join and ``float(tags["wmape"]) > 0.3``; the
fleet-wide query is the same without the customer (both paginated, as MLflow's page limits
require). Every search result of both tools is checked against the answer computed from the
generated data, and every resolution against the expected version. (Logging metrics on an
MLflow run instead and querying ``search_runs("metrics.wmape > 0.3")`` would make numeric
filters server-side but adds a run per version and still needs the alias join.)

Fairness: record objects, artifacts and MLflow's model dir are built before the clock; schema
creation is before the clock for both; each phase is warmed up (``--warmup`` calls, at most a
tenth of the timed ones) before its latencies are taken; lookups, searches and loads use the
same random tenants in the same order for both tools; both run in this one process, modelfleet
first (GC on, as in real use).
Latencies are per call (``perf_counter_ns``); percentiles are nearest-rank. The machine may be
shared: each arm first waits (``--wait-quiet``) for other programs to go idle, and the JSON has
the load average at every phase plus "other CPU" (what the rest of the machine used).
``--mlflow-models N`` runs MLflow on the first N tenants only; its registration figures are
then measured on that subset (marked ``*``) and its latencies are at that smaller size.
MLflow telemetry is off and a socket guard blocks (and counts) any network access.

Run (from the repository root)::

    python3 -m venv .venv-bench && .venv-bench/bin/pip install -e ".[bench]"
    .venv-bench/bin/python benchmarks/bench_registry.py                  # ~10 min on 2 cores
    .venv-bench/bin/python benchmarks/bench_registry.py --models 500     # quick check

``--profile`` adds cProfile listings of modelfleet's resolve, search and load loops. Results
go to ``benchmarks/results/registry-<time>.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import json
import math
import os
import pstats
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _benchlib as bl

PACKAGES = ("modelfleet", "mlflow", "lightgbm", "sqlalchemy")
FLEET = "demand"
ALIAS = "prod"
ACTOR = "bench"
THRESHOLD = 0.3
REGIONS = ("north", "south", "east", "west", "central")
TIERS = ("gold", "silver", "bronze")
TARGET_RESOLVE_P99_MS = 0.3
TARGET_RATIO = 10.0
FEATURES = ("day_of_week", "promo", "lag_7", "lag_14", "rolling_mean_28", "month")
CATEGORICAL = ("day_of_week", "month")
VOCAB_MONTH = sorted(map(str, range(12)))
TARGET = "sales"


# ----------------------------------------------------------------------------- the data
@dataclass(frozen=True)
class Version:
    """One version to register: whose, which (1-based round) and its metrics."""

    tenant: str
    number: int
    metrics: dict[str, float]
    baseline: dict[str, float]


@dataclass(frozen=True)
class Corpus:
    """Everything both registries receive and every question both are asked."""

    tenants: list[str]
    tags: dict[str, dict[str, str]]  # per tenant: customer, region, tier
    versions: list[Version]  # registration order: round 1 of every tenant, then round 2...
    prod: dict[str, int]  # tenant -> the version number "prod" points at
    customers: list[str]
    lookups: list[str]  # tenants to resolve, in order
    loads: list[str]  # tenants to load, in order

    def subset(self, models: int) -> Corpus:
        """The same corpus restricted to the first ``models`` tenants."""
        keep = set(self.tenants[:models])
        return Corpus(
            tenants=self.tenants[:models],
            tags={t: v for t, v in self.tags.items() if t in keep},
            versions=[v for v in self.versions if v.tenant in keep],
            prod={t: v for t, v in self.prod.items() if t in keep},
            customers=sorted({self.tags[t]["customer"] for t in keep}),
            lookups=[t for t in self.lookups if t in keep],
            loads=[t for t in self.loads if t in keep],
        )

    def expected_prod_above(self, customer: str | None) -> set[tuple[str, int]]:
        """(tenant, version) of prod versions with wmape > THRESHOLD, optionally one customer's."""
        wmape = {(v.tenant, v.number): v.metrics["wmape"] for v in self.versions}
        return {
            (tenant, number)
            for tenant, number in self.prod.items()
            if (customer is None or self.tags[tenant]["customer"] == customer)
            and wmape[(tenant, number)] > THRESHOLD
        }


def make_corpus(
    models: int, per_model: int, customers: int, lookups: int, loads: int, seed: int = 0
) -> Corpus:
    """Deterministic tenants, tags, metrics and the random order of questions."""
    rng = random.Random(seed)
    tenants = [f"store-{i:05d}" for i in range(models)]
    tags: dict[str, dict[str, str]] = {}
    for i, tenant in enumerate(tenants):
        c = i % customers
        tags[tenant] = {
            "customer": f"cust-{c:03d}",
            "region": REGIONS[c % len(REGIONS)],
            "tier": TIERS[c % len(TIERS)],
        }
    versions: list[Version] = []
    for number in range(1, per_model + 1):
        for tenant in tenants:
            # wmape in [0.05, 0.45], about a fifth of versions above 0.3.
            wmape = 0.05 + 0.4 * rng.random() ** 2
            metrics = {
                "wmape": wmape,
                "mae": rng.uniform(50, 500),
                "rmse": rng.uniform(80, 800),
                "mape": wmape * rng.uniform(0.9, 1.3),
                "smape": wmape * rng.uniform(0.8, 1.2),
                "bias": rng.uniform(-0.1, 0.1),
            }
            baseline = {k: v * rng.uniform(1.05, 1.6) for k, v in metrics.items()}
            versions.append(Version(tenant, number, metrics, baseline))
    prod = {t: (1 if i % 10 == 0 else per_model) for i, t in enumerate(tenants)}
    return Corpus(
        tenants=tenants,
        tags=tags,
        versions=versions,
        prod=prod,
        customers=sorted({t["customer"] for t in tags.values()}),
        lookups=[rng.choice(tenants) for _ in range(lookups)],
        loads=[rng.choice(tenants) for _ in range(loads)],
    )


def semver(number: int) -> str:
    """modelfleet's number for the n-th registration of a model with an unchanged signature."""
    return f"1.{number - 1}.0"


def mlflow_name(tenant: str) -> str:
    """MLflow model names cannot contain '/'."""
    return f"{FLEET}.{tenant}"


# ----------------------------------------------------------------------------- the model
@dataclass(frozen=True)
class ModelFiles:
    """One tiny trained booster in both tools' formats, plus rows to check predictions."""

    blob: bytes  # modelfleet's LightGBM artifact bytes
    signature: dict[str, Any]  # model_meta["signature"], as pipeline/tenant.py writes it
    mlflow_dir: Path  # an MLflow model directory (MLmodel + model.lgb)
    frame: Any  # FeatureFrame of sample rows
    expected: Any  # the booster's predictions on them


def train_tiny_model(folder: Path) -> ModelFiles:
    """Fit one small LightGBM model through modelfleet's family and save it for MLflow too."""
    import lightgbm as lgb
    import mlflow.lightgbm
    import numpy as np
    import pyarrow as pa
    from mlflow.models import infer_signature

    from modelfleet.training.families import resolve_family
    from modelfleet.training.frames import FeatureFrame

    rng = np.random.default_rng(0)
    rows = 365
    days = np.arange(rows)
    columns = {
        "day_of_week": pa.array(days % 7, pa.int64()),
        "promo": pa.array(rng.integers(0, 2, rows), pa.int64()),
        "lag_7": pa.array(rng.normal(1000, 200, rows)),
        "lag_14": pa.array(rng.normal(1000, 200, rows)),
        "rolling_mean_28": pa.array(rng.normal(1000, 100, rows)),
        "month": pa.array((days // 30) % 12, pa.int64()),
    }
    table = pa.table(columns)
    stamps = np.datetime64("2024-01-01") + days.astype("timedelta64[D]")
    frame = FeatureFrame(table, stamps, categorical=CATEGORICAL)
    target = (
        table["lag_7"].to_numpy() * 0.6 + table["promo"].to_numpy() * 300 + rng.normal(0, 50, rows)
    )
    estimator = resolve_family("lightgbm").fit(
        frame, target, "regression", {"n_estimators": 20, "num_leaves": 7}
    )
    signature = {
        "inputs": [
            {"name": n, "type": str(table.schema.field(n).type), "categorical": n in CATEGORICAL}
            for n in FEATURES
        ],
        "output": {"name": TARGET, "type": "float64"},
    }
    expected = estimator.predict(frame)
    mlflow_dir = folder / "mlflow-model"
    mlflow.lightgbm.save_model(
        estimator.booster,
        str(mlflow_dir),
        signature=infer_signature(table.to_pandas(), expected),
        pip_requirements=[f"lightgbm=={lgb.__version__}"],  # no inference subprocess
    )
    return ModelFiles(estimator.to_bytes(), signature, mlflow_dir, frame, expected)


# ----------------------------------------------------------------------------- measuring
def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(timings: tuple[Sequence[float], Sequence[float]]) -> dict[str, float]:
    """p50/p90/p99/mean/max of per-call wall latencies in milliseconds, and p50/p99 of the
    calls' CPU time (this thread's; unlike wall time it does not grow while other programs
    hold the cores)."""
    ms = [s * 1000 for s in timings[0]]
    cpu = [s * 1000 for s in timings[1]]
    return {
        "n": len(ms),
        "p50_ms": percentile(ms, 50),
        "p90_ms": percentile(ms, 90),
        "p99_ms": percentile(ms, 99),
        "mean_ms": sum(ms) / len(ms),
        "max_ms": max(ms),
        "cpu_p50_ms": percentile(cpu, 50),
        "cpu_p99_ms": percentile(cpu, 99),
    }


def timed_calls(
    call: Callable[[Any], Any], args: Sequence[Any], warmup: int
) -> tuple[tuple[list[float], list[float]], list[Any]]:
    """Per-call seconds of ``call(arg)`` for each arg, after untimed warm-up calls: the first
    ``warmup`` args, at most a tenth of them (at least one)."""
    for arg in list(args[: min(warmup, max(1, len(args) // 10))]):
        call(arg)
    gc.collect()
    seconds: list[float] = []
    cpu_seconds: list[float] = []
    results: list[Any] = []
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    for arg in args:
        cpu_start = cpu_clock()
        start = clock()
        result = call(arg)
        end = clock()
        cpu_seconds.append((cpu_clock() - cpu_start) / 1e9)
        seconds.append((end - start) / 1e9)
        results.append(result)
    return (seconds, cpu_seconds), results


@dataclass
class Phase:
    """Wall and CPU seconds of one block, and the load average when it started."""

    wall: float = 0.0
    cpu: float = 0.0
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)


@contextlib.contextmanager
def phase(phases: dict[str, Phase], name: str) -> Iterator[Phase]:
    """Time a block into ``phases[name]``."""
    gc.collect()
    found = phases[name] = Phase(load_average=os.getloadavg())
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield found
    finally:
        found.wall = time.perf_counter() - wall
        found.cpu = time.process_time() - cpu


def rate(count: int, block: Phase) -> dict[str, float]:
    """Throughput figures of ``count`` operations done in ``block``."""
    return {
        "count": count,
        "seconds": block.wall,
        "cpu_seconds": block.cpu,
        "per_second": count / block.wall,
        "ms_per_op": block.wall / count * 1000,
        "load_average": block.load_average,
    }


def profile_text(call: Callable[[Any], Any], args: Sequence[Any], top: int = 18) -> str:
    """cProfile of ``call`` over ``args``: the ``top`` functions by own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    for arg in args:
        call(arg)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    head = [line for line in lines[:start] if "function calls" in line]
    return "\n".join([*head, *lines[start:]]).rstrip()


# ----------------------------------------------------------------------------- modelfleet
def build_runs(corpus: Corpus, folder: Path, files: ModelFiles) -> tuple[str, dict[Any, Any]]:
    """Artifacts in a modelfleet artifact store and one succeeded run record per version."""
    from modelfleet.artifacts import open_artifact_store
    from modelfleet.tracking.records import ArtifactRecord, TenantRunRecord, new_run_id

    url = str(folder / "artifacts")
    store = open_artifact_store(url)
    model = store.put_bytes(files.blob)
    model_artifact = ArtifactRecord("model", "lightgbm", model.digest, model.uri, model.size_bytes)
    metas: dict[str, ArtifactRecord] = {}
    for tenant in corpus.tenants:
        meta = {  # the shape pipeline/tenant.py's _save writes
            "fleet": FLEET,
            "tenant": tenant,
            "family": "lightgbm",
            "task": "regression",
            "frequency": "D",
            "horizon": 42,
            "timestamp": "date",
            "target": TARGET,
            "feature_columns": list(FEATURES),
            "categorical": list(CATEGORICAL),
            # The category values of the tiny model's codes (day of week, month), as text.
            "vocabulary": {"day_of_week": sorted(map(str, range(7))), "month": VOCAB_MONTH},
            "signature": files.signature,
            "model_digest": model.digest,
        }
        ref = store.put_bytes(json.dumps(meta, sort_keys=True, indent=1).encode())
        metas[tenant] = ArtifactRecord("model_meta", "json", ref.digest, ref.uri, ref.size_bytes)
    start = datetime(2026, 1, 5, tzinfo=UTC)
    runs: dict[tuple[str, int], TenantRunRecord] = {}
    for version in corpus.versions:
        at = start + timedelta(days=7 * (version.number - 1))
        runs[(version.tenant, version.number)] = TenantRunRecord(
            run_id=new_run_id(),
            fleet_run_id=f"{version.number:032x}",
            fleet=FLEET,
            tenant=version.tenant,
            environment="dev",
            status="succeeded",
            started_at=at,
            finished_at=at + timedelta(seconds=3),
            task_key=version.tenant,
            config_hash="c" * 64,
            data_fingerprint="d" * 64,
            model_family="lightgbm",
            code_version="bench",
            params={"model.num_leaves": 7, "model.n_estimators": 20},
            metrics=version.metrics,
            baseline_metrics=version.baseline,
            timings={"fit": 0.1},
            artifacts=(model_artifact, metas[version.tenant]),
        )
    return url, runs


def plan_batches(corpus: Corpus, runs: dict[Any, Any], size: int) -> list[tuple[dict, list]]:
    """Round by round, per customer (one tag set per register_many call), ``size`` at most."""
    plan: list[tuple[dict, list]] = []
    for number in sorted({v.number for v in corpus.versions}):
        groups: dict[str, list[Any]] = {}
        for version in corpus.versions:
            if version.number == number:
                customer = corpus.tags[version.tenant]["customer"]
                groups.setdefault(customer, []).append(runs[(version.tenant, number)])
        for group in groups.values():
            tags = corpus.tags[group[0].tenant]
            plan.extend((tags, group[i : i + size]) for i in range(0, len(group), size))
    return plan


def check(condition: bool, message: str) -> None:
    """Stop the benchmark when a tool answered something else than the data says."""
    if not condition:
        raise SystemExit(f"check failed: {message}")


def run_modelfleet(
    folder: Path,
    corpus: Corpus,
    files: ModelFiles,
    artifacts_url: str,
    runs: dict[Any, Any],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Register, alias, resolve, search and load with modelfleet's Registry."""
    from modelfleet.artifacts import open_artifact_store
    from modelfleet.registry import MetricFilter, Registry
    from modelfleet.training.families import resolve_family

    phases: dict[str, Phase] = {}
    out: dict[str, Any] = {}
    registry = Registry.open(f"sqlite:///{folder / 'modelfleet.db'}", artifacts_url)
    try:
        registry.search(limit=1)  # schema created and migrated before any clock
        plan = plan_batches(corpus, runs, args.batch)
        registered: list[Any] = []
        with phase(phases, "register") as block:
            for tags, chunk in plan:
                registered.extend(
                    registry.register_many([(run, None) for run in chunk], caller=ACTOR, tags=tags)
                )
        out["register"] = {**rate(len(registered), block), "calls": len(plan)}
        # fleet_run_id encodes the round, so the number each run must get is known.
        expected = [semver(int(run.fleet_run_id, 16)) for _, chunk in plan for run in chunk]
        check([str(v.version) for v in registered] == expected, "modelfleet version numbers")

        with phase(phases, "set_alias") as block:
            for tenant in corpus.tenants:
                registry.set_alias(
                    f"{FLEET}/{tenant}",
                    ALIAS,
                    semver(corpus.prod[tenant]),
                    caller=ACTOR,
                    reason="benchmark",
                )
        out["set_alias"] = rate(len(corpus.tenants), block)

        def resolve(tenant: str) -> Any:
            return registry.resolve(f"{FLEET}/{tenant}@{ALIAS}")

        seconds, found = timed_calls(resolve, corpus.lookups, args.warmup)
        for tenant, version in zip(corpus.lookups, found, strict=True):
            check(
                version.tenant == tenant and str(version.version) == semver(corpus.prod[tenant]),
                f"modelfleet resolved {tenant}@{ALIAS} to {version.ref}",
            )
        out["resolve"] = summary_ms(seconds)

        above = [MetricFilter("wmape", ">", THRESHOLD)]

        def search(customer: str | None) -> list[Any]:
            tags = None if customer is None else {"customer": customer}
            return registry.search(
                fleet=FLEET, tags=tags, environment=ALIAS, metrics=above, limit=None
            )

        for name, queries in _search_plans(corpus, args).items():
            seconds, found = timed_calls(search, queries, args.warmup)
            for customer, versions in zip(queries, found, strict=True):
                got = {(v.tenant, v.version.minor + 1) for v in versions}
                check(got == corpus.expected_prod_above(customer), f"modelfleet {name} {customer}")
            out[name] = {**summary_ms(seconds), "mean_results": _mean_len(found)}

        store = open_artifact_store(artifacts_url)

        def load(tenant: str) -> Any:
            version = registry.resolve(f"{FLEET}/{tenant}@{ALIAS}")
            return resolve_family(version.family).load(store.get_bytes(version.model_digest))

        seconds, found = timed_calls(load, corpus.loads, args.warmup)
        check(_same_predictions(found[-1].predict(files.frame), files.expected), "mf predict")
        out["load"] = summary_ms(seconds)

        if args.profile:
            first = corpus.customers[: max(1, min(50, len(corpus.customers)))]
            out["profiles"] = {
                "resolve": profile_text(resolve, corpus.lookups),
                "search_customer": profile_text(search, first),
                "load": profile_text(load, corpus.loads),
            }
    finally:
        registry.close()
    out["db_bytes"] = bl.dir_size_bytes(folder)  # the database and its -wal/-shm files
    out["phases"] = {name: vars(block) for name, block in phases.items()}
    return out


def run_modelfleet_single(
    folder: Path, corpus: Corpus, artifacts_url: str, runs: dict[Any, Any]
) -> dict[str, Any]:
    """One ``register`` call (one transaction) per version, on a fresh store."""
    from modelfleet.registry import Registry

    phases: dict[str, Phase] = {}
    registry = Registry.open(f"sqlite:///{folder / 'modelfleet-single.db'}", artifacts_url)
    try:
        registry.search(limit=1)
        with phase(phases, "register") as block:
            for version in corpus.versions:
                registry.register(
                    runs[(version.tenant, version.number)],
                    caller=ACTOR,
                    tags=corpus.tags[version.tenant],
                )
        return {"register": rate(len(corpus.versions), block)}
    finally:
        registry.close()


def _search_plans(corpus: Corpus, args: argparse.Namespace) -> dict[str, list[str | None]]:
    customers = corpus.customers
    return {
        "search_customer": [customers[i % len(customers)] for i in range(args.searches)],
        "search_fleet": [None] * args.broad_searches,
    }


def _mean_len(results: Sequence[Sequence[Any]]) -> float:
    return sum(len(r) for r in results) / len(results)


def _same_predictions(got: Any, expected: Any) -> bool:
    import numpy as np

    return bool(np.allclose(np.asarray(got, dtype=float), expected))


# ----------------------------------------------------------------------------- MLflow
def _paged(search: Callable[..., Any], where: str, page: int) -> Iterator[Any]:
    token = None
    while True:
        result = search(filter_string=where, max_results=page, page_token=token)
        yield from result
        token = result.token
        if not token:
            return


def run_mlflow(
    folder: Path, corpus: Corpus, files: ModelFiles, args: argparse.Namespace
) -> dict[str, Any]:
    """The same operations through MlflowClient on a SQLite tracking + registry store."""
    import mlflow
    import mlflow.lightgbm
    from mlflow import MlflowClient

    phases: dict[str, Phase] = {}
    out: dict[str, Any] = {}
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.search_registered_models(max_results=1)  # schema created before any clock
    source = str(files.mlflow_dir)
    version_tags = {
        (v.tenant, v.number): {
            **corpus.tags[v.tenant],
            **{key: repr(value) for key, value in v.metrics.items()},
            **{f"baseline.{key}": repr(value) for key, value in v.baseline.items()},
        }
        for v in corpus.versions
    }
    created: list[str] = []
    with phase(phases, "register") as block:
        for version in corpus.versions:
            name = mlflow_name(version.tenant)
            if version.number == 1:
                client.create_registered_model(name, tags=corpus.tags[version.tenant])
            made = client.create_model_version(
                name, source, tags=version_tags[(version.tenant, version.number)]
            )
            created.append(str(made.version))  # an int here, a str elsewhere
    out["register"] = rate(len(created), block)
    check(created == [str(v.number) for v in corpus.versions], "MLflow version numbers")

    with phase(phases, "set_alias") as block:
        for tenant in corpus.tenants:
            client.set_registered_model_alias(mlflow_name(tenant), ALIAS, str(corpus.prod[tenant]))
    out["set_alias"] = rate(len(corpus.tenants), block)

    def resolve(tenant: str) -> Any:
        return client.get_model_version_by_alias(mlflow_name(tenant), ALIAS)

    seconds, found = timed_calls(resolve, corpus.lookups, args.warmup)
    for tenant, version in zip(corpus.lookups, found, strict=True):
        check(
            version.name == mlflow_name(tenant)
            and str(version.version) == str(corpus.prod[tenant]),
            f"MLflow resolved {tenant}@{ALIAS} to {version.name} v{version.version}",
        )
    out["resolve"] = summary_ms(seconds)

    def search(customer: str | None) -> list[Any]:
        # No alias filter and no numeric tag comparison in MLflow's grammar: the aliases come
        # from the registered models, the versions with their tags from a version search,
        # and the join and the threshold are client-side.
        where = f"name LIKE '{FLEET}.%'"
        if customer is not None:
            where += f" AND tags.customer = '{customer}'"
        prod = {
            model.name: str(model.aliases.get(ALIAS))
            for model in _paged(client.search_registered_models, where, 1000)
        }
        return [
            version
            for version in _paged(client.search_model_versions, where, 10_000)
            if prod.get(version.name) == str(version.version)
            and float(version.tags["wmape"]) > THRESHOLD
        ]

    prefix = f"{FLEET}."
    for name, queries in _search_plans(corpus, args).items():
        seconds, found = timed_calls(search, queries, args.warmup)
        for customer, versions in zip(queries, found, strict=True):
            got = {(v.name.removeprefix(prefix), int(v.version)) for v in versions}
            check(got == corpus.expected_prod_above(customer), f"MLflow {name} {customer}")
        out[name] = {**summary_ms(seconds), "mean_results": _mean_len(found)}

    def load(tenant: str) -> Any:
        return mlflow.lightgbm.load_model(f"models:/{mlflow_name(tenant)}@{ALIAS}")

    seconds, found = timed_calls(load, corpus.loads, args.warmup)
    pandas_rows = files.frame.features.to_pandas()
    check(_same_predictions(found[-1].predict(pandas_rows), files.expected), "MLflow predict")
    out["load"] = summary_ms(seconds)
    out["db_bytes"] = (folder / "mlflow.db").stat().st_size
    out["phases"] = {name: vars(block) for name, block in phases.items()}
    return out


# ----------------------------------------------------------------------------- report
def _faster(modelfleet: float, mlflow: float, *, latency: bool) -> float:
    """How many times modelfleet is better: a throughput ratio, or MLflow / modelfleet time."""
    return mlflow / modelfleet if latency else modelfleet / mlflow


def report_rows(
    mf: dict[str, Any], single: dict[str, Any] | None, ml: dict[str, Any], sub: str
) -> list[dict[str, Any]]:
    """One row per figure: both values, how many times better modelfleet is, target, met."""
    ten = f">= x{TARGET_RATIO:g}"
    rows: list[dict[str, Any]] = []

    def add(label: str, a: float, b: float, *, latency: bool, target: str = "") -> None:
        ratio = _faster(a, b, latency=latency)
        row = {"figure": label, "modelfleet": a, "mlflow": b, "ratio": ratio, "target": target}
        if target == ten:
            row["met"] = ratio >= TARGET_RATIO
        elif target:
            row["met"] = a < TARGET_RESOLVE_P99_MS
        rows.append(row)

    per_s = "per_second"
    add(
        f"register, versions/s (batches){sub}",
        mf["register"][per_s],
        ml["register"][per_s],
        latency=False,
        target=ten,
    )
    if single is not None:
        add(
            f"register, versions/s (1 per call){sub}",
            single["register"][per_s],
            ml["register"][per_s],
            latency=False,
            target=ten,
        )
    add("set alias, aliases/s", mf["set_alias"][per_s], ml["set_alias"][per_s], latency=False)
    resolve = f"resolve @{ALIAS}"
    add(f"{resolve} p50, ms", mf["resolve"]["p50_ms"], ml["resolve"]["p50_ms"], latency=True)
    add(
        f"{resolve} p99, ms",
        mf["resolve"]["p99_ms"],
        ml["resolve"]["p99_ms"],
        latency=True,
        target=f"< {TARGET_RESOLVE_P99_MS} ms",
    )
    searches = {"search_customer": "search customer+prod+wmape", "search_fleet": "search fleet"}
    for key, label in searches.items():
        for stat in ("p50", "p99"):
            a, b = mf[key][f"{stat}_ms"], ml[key][f"{stat}_ms"]
            add(f"{label} {stat}, ms", a, b, latency=True, target=ten)
    for stat in ("p50", "p99"):
        a, b = mf["load"][f"{stat}_ms"], ml["load"][f"{stat}_ms"]
        add(f"load model {stat}, ms", a, b, latency=True)
    return rows


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    """The side-by-side table."""
    headers = ["", "modelfleet", "MLflow", "modelfleet vs MLflow", "target", "met"]
    body = [
        [
            row["figure"],
            row["modelfleet"],
            row["mlflow"],
            f"x{row['ratio']:.1f}",
            row["target"] or None,
            None if "met" not in row else ("yes" if row["met"] else "NO"),
        ]
        for row in rows
    ]
    print(bl.table(headers, body))


def main(argv: Sequence[str] | None = None) -> int:
    """Build the corpus, run both registries, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=5000)
    parser.add_argument("--versions", type=int, default=2, help="versions per model")
    parser.add_argument("--customers", type=int, default=50, help="customer tag values")
    parser.add_argument("--batch", type=int, default=100, help="runs per register_many call")
    parser.add_argument(
        "--single", type=int, default=-1, help="versions for single register calls (-1: all)"
    )
    parser.add_argument("--lookups", type=int, default=2000, help="alias resolutions timed")
    parser.add_argument("--searches", type=int, default=200, help="customer searches timed")
    parser.add_argument("--broad-searches", type=int, default=10, help="fleet searches timed")
    parser.add_argument("--loads", type=int, default=200, help="model loads timed")
    parser.add_argument(
        "--warmup", type=int, default=100, help="untimed calls per phase (at most 10%%)"
    )
    parser.add_argument(
        "--mlflow-models", type=int, default=None, help="MLflow on the first N models only"
    )
    parser.add_argument("--wait-quiet", type=float, default=60.0, help="max s to wait per arm")
    parser.add_argument("--profile", action="store_true", help="cProfile modelfleet's reads")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="modelfleet-bench-registry-"))
    net_log = root / "network.log"
    os.environ.update(
        {
            bl.NET_LOG_ENV: str(net_log),
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "true",
            "GIT_PYTHON_REFRESH": "quiet",
        }
    )
    bl.install_network_guard()
    # Import everything before any clock starts.
    import mlflow.lightgbm  # noqa: F401

    import modelfleet.registry
    import modelfleet.training.lightgbm_family  # noqa: F401

    load_at_start = os.getloadavg()
    corpus = make_corpus(
        args.models, args.versions, args.customers, args.lookups, args.loads, args.seed
    )
    arms: dict[str, Any] = {}
    waits: dict[str, Any] = {}
    try:
        with bl.stopwatch() as setup:
            files = train_tiny_model(root)
            artifacts_url, runs = build_runs(corpus, root, files)
        print(
            f"{len(corpus.versions):,} versions over {len(corpus.tenants):,} models prepared "
            f"in {setup[0]:.0f} s (booster {len(files.blob):,} bytes)",
            flush=True,
        )
        single_corpus = corpus if args.single < 0 else corpus.subset(args.single // args.versions)
        mlflow_corpus = corpus if args.mlflow_models is None else corpus.subset(args.mlflow_models)
        plan: dict[str, Callable[[Path], dict[str, Any]]] = {
            "modelfleet": lambda f: run_modelfleet(f, corpus, files, artifacts_url, runs, args),
            "modelfleet single": lambda f: run_modelfleet_single(
                f, single_corpus, artifacts_url, runs
            ),
            "mlflow": lambda f: run_mlflow(f, mlflow_corpus, files, args),
        }
        if args.single == 0:
            del plan["modelfleet single"]
        for name, arm in plan.items():
            waited, busy = bl.wait_for_quiet(args.wait_quiet) if args.wait_quiet > 0 else (0, 0)
            folder = root / name.replace(" ", "-")
            folder.mkdir()
            busy_before, cpu_before = bl.system_busy_seconds(), time.process_time()
            with bl.stopwatch() as took:
                arms[name] = arm(folder)
            own = time.process_time() - cpu_before
            other = max(0.0, bl.system_busy_seconds() - busy_before - own)
            waits[name] = {"waited_s": waited, "busy_cores_before": busy}
            arms[name].update({"seconds": took[0], "cpu_seconds": own, "other_cpu_seconds": other})
            print(
                f"  {name}: {took[0]:.0f} s (waited {waited:.0f} s for quiet, other programs "
                f"used {other / took[0]:.2f} cores meanwhile)",
                flush=True,
            )
        attempts = bl.network_attempts(net_log)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    mf, ml = arms["modelfleet"], arms["mlflow"]
    partial = len(mlflow_corpus.versions) < len(corpus.versions)
    rows = report_rows(mf, arms.get("modelfleet single"), ml, " *" if partial else "")
    print()
    print(
        f"{len(corpus.versions):,} versions over {len(corpus.tenants):,} models, SQLite, "
        f"{args.lookups:,} resolutions, {args.searches} + {args.broad_searches} searches, "
        f"{args.loads} loads; ratio = how many times faster modelfleet is"
    )
    print_table(rows)
    if partial:
        print(
            f"* MLflow registered {len(mlflow_corpus.versions):,} versions "
            f"({len(mlflow_corpus.tenants):,} models); its latencies are at that size"
        )
    if "modelfleet single" in arms:
        count = arms["modelfleet single"]["register"]["count"]
        print(f"modelfleet single register calls: {count:,} versions on a fresh store")
    cpu = ", ".join(
        f"{key} {mf[key]['cpu_p50_ms']:.3f}/{mf[key]['cpu_p99_ms']:.3f} vs "
        f"{ml[key]['cpu_p50_ms']:.3f}/{ml[key]['cpu_p99_ms']:.3f}"
        for key in ("resolve", "search_customer", "load")
    )
    print(f"per-call CPU time p50/p99 ms, modelfleet vs MLflow: {cpu}")
    print(
        f"mean results per search: customer {mf['search_customer']['mean_results']:.1f}, "
        f"fleet {mf['search_fleet']['mean_results']:.0f} (both tools, checked)"
    )
    print(
        f"load average: {' '.join(f'{x:.2f}' for x in load_at_start)} at start, "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at end; network attempts blocked: "
        f"{len(attempts)}"
    )
    for name, text in mf.get("profiles", {}).items():
        print(f"\nprofile of modelfleet {name}:\n{text}")
    path = bl.write_result(
        "registry",
        {
            "benchmark": "registry",
            "machine": bl.machine_info(PACKAGES),
            "settings": vars(args),
            "load_average_at_start": load_at_start,
            "mlflow_versions": len(mlflow_corpus.versions),
            "single_register_versions": len(single_corpus.versions),
            "table": rows,
            "arms": arms,
            "waits": waits,
            "network_attempts": attempts,
        },
    )
    print(f"\nresults: {path.relative_to(bl.REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
