"""The serving benchmark's pieces: the demo fleet, the hand-written endpoint, the load generator.

Also a small command line, so each piece runs in a process of its own (``bench_serving.py``
starts them)::

    python _serving_arms.py plain --home H --model FLEET/TENANT --port P   # the plain endpoint
    python _serving_arms.py load --targets FILE --seconds 10 --pid PID     # the load generator
    python _serving_arms.py mlflow-save --booster FILE --out DIR           # (in the MLflow venv)

Imports of modelfleet, FastAPI and httpx stay inside the functions: the MLflow venv runs
``mlflow-save`` without them, and the load generator imports only httpx.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _benchlib as bl


# ----------------------------------------------------------------------------- the demo fleet
@dataclass(frozen=True)
class Fleet:
    """A trained demo fleet, every tenant promoted to dev."""

    home: Path
    spec: Path
    name: str
    tenants: tuple[str, ...]
    train_seconds: float


def build_fleet(folder: Path, tenants: int, days: int) -> Fleet:
    """Demo data for ``tenants`` stores, one LightGBM model each, all promoted to dev.

    ``pooled: false`` and ``min_improvement: -1`` so that every tenant gets (and serves) its
    own LightGBM model rather than the pooled model or a baseline.
    """
    import yaml

    import modelfleet
    from modelfleet.data.demo import generate_demo_data

    demo = generate_demo_data(folder / "demo", stores=tenants, days=days, seed=0)
    spec = yaml.safe_load(demo.spec_path.read_text())
    spec.setdefault("model", {})["pooled"] = False
    spec.setdefault("gates", {})["min_improvement"] = -1.0
    demo.spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    home = folder / "home"
    with bl.stopwatch() as elapsed, modelfleet.connect(home=str(home), environ={}) as client:
        summary = client.train(demo.spec_path, "dev")
        for tenant in summary.versions:
            outcome = client.promote(f"{summary.fleet}/{tenant}", "dev", spec=demo.spec_path)
            if not outcome.moved:
                raise RuntimeError(f"tenant {tenant} was not promoted: {outcome.reason}")
    names = tuple(sorted(summary.versions))
    return Fleet(home, demo.spec_path, summary.fleet, names, elapsed[0])


def holdout_records(home: Path, model: str) -> tuple[Any, list[dict[str, Any]]]:
    """The dev version's package and its recorded holdout rows as JSON-able records.

    Categories are decoded back to their names and each record carries the model's timestamp
    column as an ISO date: what a caller of the server sends.
    """
    import pyarrow.parquet as pq

    import modelfleet
    from modelfleet.registry.reads import ArtifactStores, VersionArtifacts
    from modelfleet.training.frames import HOLDOUT_TARGET, HOLDOUT_TIMESTAMP

    with modelfleet.connect(home=str(home), environ={}) as client:
        version = client.resolve(f"{model}@dev")
        artifacts = VersionArtifacts(version, ArtifactStores(client.settings.artifacts_url))
        package = artifacts.load_package()
        if version.holdout_digest is None:
            raise RuntimeError(f"{model} recorded no holdout")
        table = pq.read_table(io.BytesIO(artifacts.get_bytes(version.holdout_digest)))
    rows = package.meta.decode_categories(table.drop_columns([HOLDOUT_TARGET, HOLDOUT_TIMESTAMP]))
    stamps = table[HOLDOUT_TIMESTAMP].to_numpy().astype("datetime64[s]").astype(str)
    records = rows.to_pylist()
    for record, stamp in zip(records, stamps, strict=True):
        record[package.meta.timestamp] = str(stamp)
    return package, records


def batch(records: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """``size`` of the (time-ordered) holdout rows, still in time order: each row repeated in
    place when the holdout has fewer, evenly spaced ones when it has more.

    LightGBM packages take rows in time order; sending them so keeps the hand-written endpoint
    as simple as users write it (modelfleet sorts whatever order it gets).
    """
    return [records[i * len(records) // size] for i in range(size)]


# ----------------------------------------------------------------------------- plain endpoint
def plain_table(records: list[dict[str, Any]], timestamp: str) -> tuple[Any, Any]:
    """Records to an Arrow table and timestamps, the way a hand-written endpoint would."""
    import numpy as np
    import pyarrow as pa

    table = pa.Table.from_pylist(records)
    stamps = np.array(table[timestamp].to_pylist(), dtype="datetime64[ns]")
    return table.drop_columns([timestamp]), stamps


def plain_app(home: Path, model: str, asynchronous: bool = False) -> Any:
    """What a user writes by hand: one model loaded at start, a pydantic body, predict, answer.

    No routing, no per-field checks, no logging, no metrics: the baseline the issue compares
    modelfleet's server with.
    """
    from fastapi import FastAPI
    from pydantic import BaseModel

    package, _ = holdout_records(home, model)
    timestamp = package.meta.timestamp

    class PredictBody(BaseModel):
        records: list[dict[str, Any]]

    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    def predict(body: PredictBody) -> dict[str, Any]:
        table, stamps = plain_table(body.records, timestamp)
        return {"predictions": package.predict(table, stamps).tolist()}

    async def predict_inline(body: PredictBody) -> dict[str, Any]:
        return predict(body)  # on the event loop: no thread hand-off per request

    # The body's class is local: give FastAPI the class itself, not the postponed string.
    handler = predict_inline if asynchronous else predict
    handler.__annotations__ = {"body": PredictBody, "return": dict[str, Any]}
    app.post("/predict")(handler)

    return app


# ----------------------------------------------------------------------------- processes
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def vm_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextlib.contextmanager
def server(
    cmd: list[str], ready: str, log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process (its own session) answering ``ready``; stopped with SIGTERM after."""
    import httpx

    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(ready, timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{ready} did not answer in 180 s")
            time.sleep(0.2)
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # the group of the process started here
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def raw_arm(package: Any, records: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """``package.predict`` back to back on prepared rows, in this process: the upper bound."""
    table, stamps = plain_table(records, package.meta.timestamp)
    end = time.perf_counter() + 0.5
    while time.perf_counter() < end:  # warm-up
        package.predict(table, stamps)
    latencies: list[float] = []
    cpu, start = time.process_time(), time.perf_counter()
    end = start + seconds
    while (now := time.perf_counter()) < end:
        package.predict(table, stamps)
        latencies.append((time.perf_counter() - now) * 1000)
    span, cpu = time.perf_counter() - start, time.process_time() - cpu
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": 0,
        "seconds": span,
        "req_per_s": len(latencies) / span,
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[int(0.99 * len(latencies))],
        "server_cpu_ms_per_req": cpu * 1000 / len(latencies),
    }


# ----------------------------------------------------------------------------- load generator
def tree_cpu(pid: int) -> float:
    """CPU seconds (utime + stime) of ``pid`` and its descendants, from /proc."""
    return sum(bl._cpu_seconds(p) or 0.0 for p in bl._descendants(pid))


def run_load(
    targets: list[tuple[str, str]],
    *,
    seconds: float,
    warmup: float,
    concurrency: int,
    server_pid: int,
) -> dict[str, Any]:
    """Closed loop: ``concurrency`` threads, each with its own httpx.Client, send requests back
    to back (thread i takes targets i, i + concurrency, ...) for ``warmup`` + ``seconds``.

    Only requests that start and end inside the measured window count. The server's CPU
    (its whole process tree) is read at the window's edges.
    """
    import httpx

    bodies = [(url, body.encode()) for url, body in targets]
    stop = threading.Event()
    window: list[float] = [float("inf"), float("inf")]
    results: list[list[tuple[float, float, bool]]] = [[] for _ in range(concurrency)]
    failures: list[str] = []

    def worker(slot: int) -> None:
        headers = {"content-type": "application/json"}
        index = slot
        with httpx.Client(timeout=30.0) as http:
            while not stop.is_set():
                url, body = bodies[index % len(bodies)]
                index += concurrency
                start = time.perf_counter()
                try:
                    answer = http.post(url, content=body, headers=headers)
                    ok = answer.status_code == 200
                    if not ok and len(failures) < 5:
                        failures.append(f"{answer.status_code} {answer.text[-1500:]}")
                except httpx.HTTPError as exc:
                    ok = False
                    if len(failures) < 5:
                        failures.append(repr(exc))
                results[slot].append((start, time.perf_counter(), ok))

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    own_cpu = time.process_time()
    for thread in threads:
        thread.start()
    time.sleep(warmup)
    machine0, mine0 = _machine_cpu(), time.process_time()
    cpu0, window[0] = tree_cpu(server_pid), time.perf_counter()
    time.sleep(seconds)
    cpu1, window[1] = tree_cpu(server_pid), time.perf_counter()
    machine1, mine1 = _machine_cpu(), time.process_time()
    stop.set()
    for thread in threads:
        thread.join()
    own_cpu = time.process_time() - own_cpu
    inside = [r for rows in results for r in rows if r[0] >= window[0] and r[1] <= window[1]]
    latencies = sorted((end - start) * 1000 for start, end, ok in inside if ok)
    errors = sum(1 for _, _, ok in inside if not ok)
    span = window[1] - window[0]
    done = len(inside)
    return {
        "requests": done,
        "errors": errors,
        "seconds": span,
        "req_per_s": done / span,
        "p50_ms": _quantile(latencies, 0.50),
        "p99_ms": _quantile(latencies, 0.99),
        "server_cpu_s": cpu1 - cpu0,
        "server_cpu_ms_per_req": (cpu1 - cpu0) * 1000 / done if done else None,
        "loadgen_cpu_s": own_cpu,  # warm-up included
        "loadgen_cores": (mine1 - mine0) / span,
        # Busy cores of everything else on the machine (not server, not load generator), and
        # the hypervisor's steal: both should be near 0 for a clean run.
        "other_cores": (machine1[0] - machine0[0] - (cpu1 - cpu0) - (mine1 - mine0)) / span,
        "steal_cores": (machine1[1] - machine0[1]) / span,
        "failures": failures,
    }


def _machine_cpu() -> tuple[float, float]:
    """(busy, steal) CPU seconds of all cores since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    busy = sum(values[:7]) - values[3] - values[4]  # user..softirq less idle and iowait
    return busy / bl._TICKS, values[7] / bl._TICKS


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return values[min(len(values) - 1, int(q * len(values)))]


# ----------------------------------------------------------------------------- MLflow
def mlflow_save(booster_file: Path, out: Path) -> None:
    """Save a LightGBM booster as an MLflow model (run in the MLflow venv)."""
    import lightgbm as lgb
    import mlflow.lightgbm

    mlflow.lightgbm.save_model(lgb.Booster(model_file=str(booster_file)), str(out))


# ----------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> None:
    """Run one piece: the plain server, the load generator, or MLflow's model saving."""
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    plain = sub.add_parser("plain")
    plain.add_argument("--home", type=Path, required=True)
    plain.add_argument("--model", required=True)
    plain.add_argument("--port", type=int, required=True)
    plain.add_argument("--async-def", action="store_true", help="score on the event loop")
    load = sub.add_parser("load")
    load.add_argument("--targets", type=Path, required=True)
    load.add_argument("--seconds", type=float, default=10.0)
    load.add_argument("--warmup", type=float, default=2.0)
    load.add_argument("--concurrency", type=int, default=8)
    load.add_argument("--pid", type=int, required=True)
    save = sub.add_parser("mlflow-save")
    save.add_argument("--booster", type=Path, required=True)
    save.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.what == "plain":
        import uvicorn

        app = plain_app(args.home, args.model, asynchronous=args.async_def)
        uvicorn.run(app, host="127.0.0.1", port=args.port, workers=1, log_level="warning")
    elif args.what == "load":
        targets = [(str(url), str(body)) for url, body in json.loads(args.targets.read_text())]
        result = run_load(
            targets,
            seconds=args.seconds,
            warmup=args.warmup,
            concurrency=args.concurrency,
            server_pid=args.pid,
        )
        json.dump(result, sys.stdout)
    else:
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        mlflow_save(args.booster, args.out)


if __name__ == "__main__":
    main()
