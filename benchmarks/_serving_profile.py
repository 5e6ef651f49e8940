"""Where a modelfleet prediction request spends its time (``bench_serving.py --profile``).

In this process, over the benchmark's fleet, with no load generator competing for the CPU:

* **end to end** through Starlette's TestClient, for modelfleet's app as served, the same app
  with the prediction log's ``submit`` replaced by a no-op (this process only; ``src/`` is not
  changed), and the plain endpoint -- the differences are what the framework-level features
  cost per request;
* **sections**: each step of modelfleet's route timed on its own in this thread (JSON parse,
  ``PredictIn`` validation, alias resolve, cache lookup, ``records_table`` checks, sort,
  ``package.predict``, building and serialising ``PredictOut``, queueing the log entry), and the
  log writer's work per row (``rows_of`` + ``add_predictions``), which runs on the server's
  background thread and so shares its GIL;
* the top functions of a cProfile of those steps (cumulative time).

CPU time (``time.process_time``) is what counts on a 2-core machine shared with the load
generator; wall time per request is printed next to it.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import _benchlib as bl
import _serving_arms as arms

REQUESTS = 400


def _per_request(
    fn: Callable[[int], object], n: int = REQUESTS, warm: int = 20
) -> dict[str, float]:
    """Wall and CPU milliseconds per call of ``fn(i)``, after ``warm`` warm-up calls."""
    for i in range(warm):
        fn(i)
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(n):
        fn(i)
    return {
        "wall_ms": (time.perf_counter() - wall) * 1000 / n,
        "cpu_ms": (time.process_time() - cpu) * 1000 / n,
    }


def _end_to_end(fleet: arms.Fleet, per_tenant: dict[str, list[dict[str, Any]]], size: int) -> Any:
    from fastapi.testclient import TestClient

    from modelfleet.config.settings import Settings
    from modelfleet.serving.app import create_app

    tenants = fleet.tenants
    bodies = [json.dumps({"records": arms.batch(per_tenant[t], size)}) for t in tenants]
    paths = [f"/v1/fleets/{fleet.name}/tenants/{t}/predict" for t in tenants]
    headers = {"content-type": "application/json"}
    out: dict[str, dict[str, float]] = {}
    app = create_app(Settings.for_home(fleet.home), "dev", fleets=[fleet.name])
    with TestClient(app) as http:

        def served(i: int) -> None:
            k = i % len(tenants)
            http.post(paths[k], content=bodies[k], headers=headers).raise_for_status()

        # The warm-up goes through every tenant once: no model loads inside the timing.
        out["modelfleet app"] = _per_request(served, warm=len(tenants))
        log = app.state.prediction_log
        log.submit = lambda *a, **k: True  # this process only: the route without its log
        out["modelfleet app, log off"] = _per_request(served, warm=len(tenants))
    plain = arms.plain_app(fleet.home, f"{fleet.name}/{tenants[0]}")
    with TestClient(plain) as http:

        def hand(i: int) -> None:
            http.post("/predict", content=bodies[0], headers=headers).raise_for_status()

        out["plain endpoint"] = _per_request(hand)
    return out


def _sections(fleet: arms.Fleet, per_tenant: dict[str, list[dict[str, Any]]], size: int) -> Any:
    """Each step of the route on its own, and a cProfile of them all."""
    import numpy as np
    import pyarrow as pa

    from modelfleet.api.limits import nesting
    from modelfleet.config.settings import Settings
    from modelfleet.registry.reads import ArtifactStores
    from modelfleet.registry.refs import model_name
    from modelfleet.scoring import Scorer
    from modelfleet.scoring.inputs import records_table
    from modelfleet.scoring.log import _Entry, rows_of
    from modelfleet.serving.answers import answer
    from modelfleet.store import open_store
    from modelfleet.wire.scoring import PredictIn

    settings = Settings.for_home(fleet.home)
    store = open_store(settings.store_url)
    scorer = Scorer(store, ArtifactStores(settings.artifacts_url))
    tenants = fleet.tenants
    bodies = [json.dumps({"records": arms.batch(per_tenant[t], size)}) for t in tenants]
    parsed = [json.loads(b) for b in bodies]
    inputs = [PredictIn.model_validate(p) for p in parsed]
    versions = [scorer.version(fleet.name, t, "dev") for t in tenants]
    packages = [scorer.package(v) for v in versions]
    tables = [
        records_table(b.records, p.meta, model=model_name(fleet.name, t))
        for b, p, t in zip(inputs, packages, tenants, strict=True)
    ]
    orders = [np.argsort(stamps, kind="stable") for _, stamps in tables]
    predictions = [
        scorer.predict(fleet.name, t, "dev", b.records, "r")
        for t, b in zip(tenants, inputs, strict=True)
    ]
    n = len(tenants)

    def step_sort(i: int) -> object:
        table, stamps = tables[i % n]
        order = np.argsort(stamps, kind="stable")
        return table.take(pa.array(order)), stamps[order]

    def step_predict(i: int) -> object:
        table, stamps = tables[i % n]
        order = orders[i % n]
        return packages[i % n].predict(table.take(pa.array(order)), stamps[order])

    raw = [b.encode() for b in bodies]
    steps: dict[str, Callable[[int], object]] = {
        "RequestLimits: nesting(body)": lambda i: nesting(raw[i % n], 33),
        "json.loads(body)": lambda i: json.loads(bodies[i % n]),
        "PredictIn.model_validate": lambda i: PredictIn.model_validate(parsed[i % n]),
        "alias resolve (cached)": lambda i: scorer.version(fleet.name, tenants[i % n], "dev"),
        "model cache hit": lambda i: scorer.package(versions[i % n]),
        "records_table (checks)": lambda i: records_table(
            inputs[i % n].records, packages[i % n].meta, model=model_name(fleet.name, "x")
        ),
        "argsort + take": step_sort,
        "package.predict (sorted)": step_predict,
        "answer + model_dump_json": lambda i: answer(predictions[i % n]).model_dump_json(),
        "log entry (submit's work)": lambda i: _Entry(
            predictions[i % n], fleet.name, tenants[i % n], inputs[i % n].records, datetime.now(UTC)
        ),
    }
    timed = {name: _per_request(fn) for name, fn in steps.items()}
    entries = [
        _Entry(
            predictions[i % n], fleet.name, tenants[i % n], inputs[i % n].records, datetime.now(UTC)
        )
        for i in range(max(1, 2000 // size))
    ]
    # The log writer's work for ~2,000 rows (its batches are up to 5,000), per request.
    with bl.stopwatch() as wall:
        cpu = time.process_time()
        rows = [row for entry in entries for row in rows_of(entry)]
        cpu = time.process_time() - cpu
    timed["log writer: rows_of"] = {
        "wall_ms": wall[0] * 1000 / len(entries),
        "cpu_ms": cpu * 1000 / len(entries),
    }
    with bl.stopwatch() as wall:
        cpu = time.process_time()
        store.add_prediction_tuples(rows)
        cpu = time.process_time() - cpu
    timed["log writer: add_predictions"] = {
        "wall_ms": wall[0] * 1000 / len(entries),
        "cpu_ms": cpu * 1000 / len(entries),
    }
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(REQUESTS):
        for fn in steps.values():
            fn(i)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(18)
    store.close()
    return timed, text.getvalue()


def profile(
    fleet: arms.Fleet,
    per_tenant: dict[str, list[dict[str, Any]]],
    batches: dict[int, list[dict[str, Any]]],
) -> dict[str, Any]:
    """End-to-end and per-section costs for each payload size."""
    out: dict[str, Any] = {}
    for size in batches:
        sections, top = _sections(fleet, per_tenant, size)
        out[str(size)] = {
            "end_to_end": _end_to_end(fleet, per_tenant, size),
            "sections": sections,
            "cprofile_top": top,
        }
    return out


def render(found: dict[str, Any]) -> str:
    """Tables of the profile, one per payload size (the cProfile text is in the JSON)."""
    parts = []
    for size, part in found.items():
        rows = [[f"e2e: {k}", v["wall_ms"], v["cpu_ms"]] for k, v in part["end_to_end"].items()]
        rows += [[k, v["wall_ms"], v["cpu_ms"]] for k, v in part["sections"].items()]
        parts.append(f"where the time goes, {size} records per request (ms per request):")
        parts.append(bl.table(["step", "wall ms", "CPU ms"], rows))
    return "\n\n".join(parts)
