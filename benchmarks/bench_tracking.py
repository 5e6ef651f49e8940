"""Log 1,000 runs x 10 params x 10 metrics through modelfleet's tracking and through MLflow.

Both write the same data (the same tenant names, param values and metric values) to a fresh
SQLite file in a temporary folder; database creation and migrations happen before the clock
starts, and building each tool's record objects from the plain data is inside the timing.

``modelfleet``
    ``Tracker.open("sqlite:///<tmp>/modelfleet.db")``, one fleet run, then ``record_runs`` with
    ``--batch`` records per call (default 100: what the fleet runner does, it flushes every 64
    records or second) and with 1 record per call (one transaction per run, for fairness).
``MLflow``
    ``MlflowClient(tracking_uri="sqlite:///<tmp>/mlflow.db")``, and per run the most batched
    path MLflow offers: ``create_run``, one ``log_batch(run_id, metrics=..., params=...)``,
    ``set_terminated``. MLflow has no call that writes several runs at once.

Each configuration runs ``--repeat`` times (fresh database each time); the table shows the
median wall and CPU seconds of the timed part, the median and best runs per second and the ratio
of modelfleet to MLflow medians. Durability: modelfleet's SQLite runs in WAL mode with
``synchronous=FULL`` by default (an acknowledged write survives power loss); ``--synchronous
full,normal`` (the default) times both levels, so the table shows what FULL costs. MLflow uses
SQLite's defaults (rollback journal, ``synchronous=FULL``: an fsync per commit), so part of
every wall time is waiting for the disk, which the CPU column shows. MLflow telemetry
is off and a socket guard blocks (and counts) any network access.

Run (from the repository root)::

    python3 -m venv .venv-bench && .venv-bench/bin/pip install -e ".[bench]"
    .venv-bench/bin/python benchmarks/bench_tracking.py

Results go to ``benchmarks/results/tracking-<time>.json``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import _benchlib as bl

PACKAGES = ("modelfleet", "mlflow", "sqlalchemy")


@dataclass(frozen=True)
class RunData:
    """One run's payload, as plain Python values."""

    tenant: str
    params: dict[str, str | int | float | bool]
    metrics: dict[str, float]


def make_data(runs: int, n_params: int, n_metrics: int, seed: int = 0) -> list[RunData]:
    """Deterministic runs: params of mixed types (as real model params are), float metrics."""
    rng = random.Random(seed)
    kinds: list[Callable[[int], str | int | float | bool]] = [
        lambda i: rng.randint(1, 1000),
        lambda i: round(rng.uniform(0.001, 1.0), 6),
        lambda i: rng.choice(["gbdt", "dart", "goss"]) + f"-{i}",
        lambda i: rng.random() < 0.5,
    ]
    return [
        RunData(
            tenant=f"tenant-{i:05d}",
            params={f"param_{j}": kinds[j % len(kinds)](i) for j in range(n_params)},
            metrics={f"metric_{j}": rng.uniform(0.0, 100.0) for j in range(n_metrics)},
        )
        for i in range(runs)
    ]


def bench_modelfleet(
    folder: Path, data: Sequence[RunData], batch: int, synchronous: str = "full"
) -> tuple[float, float]:
    """Wall and CPU seconds to record ``data`` through modelfleet's Tracker, ``batch`` a call."""
    from modelfleet.tracking.records import TenantRunRecord, new_run_id
    from modelfleet.tracking.tracker import Tracker

    tracker = Tracker.open(f"sqlite:///{folder / 'modelfleet.db'}?synchronous={synchronous}")
    try:
        fleet_run_id = tracker.start_fleet_run("bench", "dev", "0" * 64)
        start, cpu = time.perf_counter(), time.process_time()
        pending: list[TenantRunRecord] = []
        for run in data:
            now = datetime.now(UTC)
            pending.append(
                TenantRunRecord(
                    run_id=new_run_id(),
                    fleet_run_id=fleet_run_id,
                    fleet="bench",
                    tenant=run.tenant,
                    environment="dev",
                    status="succeeded",
                    started_at=now,
                    finished_at=now,
                    task_key=run.tenant,
                    config_hash="0" * 64,
                    data_fingerprint=None,
                    model_family="lightgbm",
                    code_version=None,
                    params=run.params,
                    metrics=run.metrics,
                    baseline_metrics={},
                    timings={},
                )
            )
            if len(pending) >= batch:
                tracker.record_runs(pending)
                pending = []
        if pending:
            tracker.record_runs(pending)
        elapsed = time.perf_counter() - start, time.process_time() - cpu
        stored = tracker.list_runs(fleet="bench", limit=None)
        if len(stored) != len(data) or len(stored[0].params) != len(data[0].params):
            raise SystemExit(f"modelfleet stored {len(stored)} runs, expected {len(data)}")
        return elapsed
    finally:
        tracker.close()


def bench_mlflow(folder: Path, data: Sequence[RunData]) -> tuple[float, float]:
    """Wall and CPU seconds to log ``data`` through MlflowClient, three calls a run."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    client = MlflowClient(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}")
    experiment_id = client.create_experiment(
        "bench", artifact_location=(folder / "mlartifacts").as_uri()
    )
    start, cpu = time.perf_counter(), time.process_time()
    for run in data:
        millis = int(time.time() * 1000)
        created = client.create_run(experiment_id, start_time=millis, run_name=run.tenant)
        run_id = created.info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric(k, v, millis, 0) for k, v in run.metrics.items()],
            params=[Param(k, str(v)) for k, v in run.params.items()],
        )
        client.set_terminated(run_id, "FINISHED", end_time=millis)
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    found = client.search_runs([experiment_id], max_results=len(data) + 1)
    if len(found) != len(data) or len(found[0].data.params) != len(data[0].params):
        raise SystemExit(f"MLflow stored {len(found)} runs, expected {len(data)}")
    return elapsed


def main(argv: Sequence[str] | None = None) -> int:
    """Run every configuration ``--repeat`` times, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--params", type=int, default=10)
    parser.add_argument("--metrics", type=int, default=10)
    parser.add_argument("--batch", type=int, default=100, help="modelfleet records per call")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--synchronous",
        default="full,normal",
        help="modelfleet's SQLite synchronous levels to time, comma-separated (full, normal)",
    )
    args = parser.parse_args(argv)
    levels = [level.strip() for level in args.synchronous.split(",") if level.strip()]

    root = Path(tempfile.mkdtemp(prefix="modelfleet-bench-tracking-"))
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
    # Import both before any clock starts.
    import mlflow  # noqa: F401

    import modelfleet.tracking.tracker  # noqa: F401

    data = make_data(args.runs, args.params, args.metrics)
    configs: dict[str, Callable[[Path], tuple[float, float]]] = {}
    for level in levels:
        for batch in dict.fromkeys((args.batch, 1)):
            configs[f"modelfleet, batch {batch}, {level}"] = lambda f, b=batch, lv=level: (
                bench_modelfleet(f, data, b, lv)
            )
    configs["MLflow log_batch per run"] = lambda f: bench_mlflow(f, data)
    seconds: dict[str, list[float]] = {name: [] for name in configs}
    cpu_seconds: dict[str, list[float]] = {name: [] for name in configs}
    busy_before, cpu_before = bl.system_busy_seconds(), time.process_time()
    try:
        for index in range(args.repeat):
            for name, bench in configs.items():
                folder = root / f"{index}-{len(seconds[name])}-{name.split(',')[0].split()[0]}"
                folder.mkdir()
                wall, cpu = bench(folder)
                seconds[name].append(wall)
                cpu_seconds[name].append(cpu)
                shutil.rmtree(folder, ignore_errors=True)
                print(f"  {name}: {wall:.2f} s ({cpu:.2f} s CPU)", flush=True)
        own_cpu = time.process_time() - cpu_before
        other_cpu = max(0.0, bl.system_busy_seconds() - busy_before - own_cpu)
        attempts = bl.network_attempts(net_log)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    mlflow_name = "MLflow log_batch per run"
    mlflow_rate = args.runs / statistics.median(seconds[mlflow_name])
    rows: list[list[object]] = []
    figures: dict[str, dict[str, Any]] = {}
    for name, values in seconds.items():
        median_rate = args.runs / statistics.median(values)
        figures[name] = {
            "seconds": values,
            "cpu_seconds": cpu_seconds[name],
            "median_runs_per_second": median_rate,
            "best_runs_per_second": args.runs / min(values),
            "ratio_vs_mlflow": median_rate / mlflow_rate,
        }
        rows.append(
            [
                name,
                statistics.median(values),
                statistics.median(cpu_seconds[name]),
                median_rate,
                args.runs / min(values),
                f"x{median_rate / mlflow_rate:.1f}",
            ]
        )
    print()
    print(
        f"{args.runs} runs x {args.params} params x {args.metrics} metrics, SQLite, "
        f"median of {args.repeat}"
    )
    headers = ["", "seconds", "CPU s", "runs/s (median)", "runs/s (best)", "vs MLflow"]
    print(bl.table(headers, rows))
    print(f"network attempts blocked: {len(attempts)}; other CPU on machine: {other_cpu:.0f} s")
    path = bl.write_result(
        "tracking",
        {
            "benchmark": "tracking",
            "machine": bl.machine_info(PACKAGES),
            "settings": vars(args),
            "results": figures,
            "other_cpu_seconds": other_cpu,
            "network_attempts": attempts,
        },
    )
    print(f"\nresults: {path.relative_to(bl.REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
