"""Train every Rossmann store with modelfleet, with a bare loop (the floor) and with MLflow.

What is compared, in one invocation, each arm in its own fresh Python process:

``modelfleet``
    ``modelfleet.connect(home=<fresh temp dir>, workers=W).train(fleet.yaml, "dev", force=True)``
    on ``examples/rossmann/fleet.yaml``: ingest + validation + features + per tenant split,
    seasonal-naive baseline, LightGBM fit, holdout metrics, gate, model artifacts, every run
    recorded in the SQLite metadata store and each passing tenant registered as a model
    version. Phases come from the run listener's stages.
``floor``
    The same model work and nothing else: modelfleet's own ``load_fleet_data`` and
    ``build_forecast_features`` build the same feature table, one vectorised pass turns it into
    per-tenant train/holdout matrices (same rows, same categorical coding, float64 + NaN), and a
    ``ProcessPoolExecutor`` (forkserver, W workers) fits LightGBM with the params modelfleet
    derives from the spec (``build_params``) and predicts the holdout. No baseline, no
    artifacts, no tracking. Its holdout wMAPE is checked against modelfleet's, tenant by tenant.
``mlflow-pinned`` / ``mlflow``
    The floor loop plus the usual hand-written MLflow recipe inside each worker:
    ``start_run``, ``log_params``, ``log_metrics``, ``mlflow.lightgbm.log_model(...,
    registered_model_name=...)`` on a SQLite tracking backend (``sqlite:///<tmp>/mlflow.db``)
    with a local artifact root, both workers writing concurrently. ``mlflow`` is MLflow's
    default (it infers pip requirements by loading each model in a subprocess, seconds per
    model); ``mlflow-pinned`` passes ``pip_requirements`` and skips that. The default recipe is
    too slow for all 1,115 stores on 2 cores, so by default it runs on an evenly spaced subset
    (``--mlflow-stores``) and its loop is extrapolated per tenant; extrapolated figures are
    marked ``*``.

Timing: "end to end" is everything from loading the spec to the last result (for the floor and
MLflow that includes the same ingest and features as modelfleet); "training loop" starts after
the per-tenant tables exist (modelfleet: its ``training`` stage; others: pool start to last
result). modelfleet's loop also builds the per-tenant matrices in the workers, which the floor
did before its loop; the end-to-end row is the apples-to-apples one. Platform overhead per
tenant = (modelfleet wall - floor wall) / tenants. Peak memory is the peak of the summed
RSS (and PSS) of the arm's whole process tree (parent, forkserver, workers, subprocesses),
sampled from /proc every 0.2 s (PSS every 2 s). CPU seconds are summed over that tree and
barely move when other programs share the machine; "other CPU" is what the rest of the machine
used meanwhile.

The machine is shared, so each arm can wait for other programs to go idle first
(``--wait-quiet``), and with ``--repeat N`` the floor and modelfleet run N times interleaved and
the fastest run of each is reported (every run is in the JSON).

Nothing may reach the network: every arm runs with a socket guard (a generated
``sitecustomize``) that blocks and logs any non-loopback connect or DNS lookup, and with
MLflow's telemetry switched off.

Run (from the repository root; the data is ``../shared/datasets/rossmann-store-sales/``)::

    python3 -m venv .venv-bench && .venv-bench/bin/pip install -e ".[bench]"
    .venv-bench/bin/python benchmarks/bench_fleet_training.py            # all 1,115 stores
    .venv-bench/bin/python benchmarks/bench_fleet_training.py --stores 50 --mlflow-stores 10

Results go to ``benchmarks/results/fleet-training-<time>.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import _benchlib as bl

ARMS = ("floor", "modelfleet", "mlflow-pinned", "mlflow")
ARM_TITLES = {
    "floor": "floor",
    "modelfleet": "modelfleet",
    "mlflow-pinned": "MLflow pinned reqs",
    "mlflow": "MLflow default",
}
ENVIRONMENT = "dev"
REGISTERED_PREFIX = "rossmann-store-"
PACKAGES = ("modelfleet", "lightgbm", "mlflow", "duckdb", "pyarrow", "numpy", "sqlalchemy")


# ============================================================================ arm processes
def _phase_result(arm: str, phases: dict[str, float], **extra: Any) -> dict[str, Any]:
    return {"arm": arm, "phases": phases, **extra}


def run_modelfleet(spec_path: Path, home: Path, workers: int) -> dict[str, Any]:
    """The modelfleet arm: one ``train`` call in a fresh home, phases from the listener."""
    import modelfleet
    from modelfleet.tracking.records import TenantRunRecord

    marks: dict[str, float] = {}

    class Listener:
        def stage(self, message: str) -> None:
            marks[message] = time.perf_counter()

        def started(self, total: int, skipped: int) -> None:
            pass

        def tenant_finished(self, record: TenantRunRecord) -> None:
            pass

    start = time.perf_counter()
    client = modelfleet.connect(home=home, workers=workers)
    summary = client.train(spec_path, ENVIRONMENT, force=True, listener=Listener())
    end = time.perf_counter()
    client.close()
    ingest, features, training = (
        marks["loading and validating data"],
        marks["building features"],
        marks["training"],
    )
    timings: dict[str, float] = {}
    for record in summary.records:
        for key, value in record.timings.items():
            timings[key] = timings.get(key, 0.0) + value
    return _phase_result(
        "modelfleet",
        {
            "setup": ingest - start,  # settings, metadata store open + migrations, spec load
            "ingest": features - ingest,
            "features": training - features,  # DuckDB features + per-tenant slices + lineage
            "loop": end - training,
            "total": end - start,
        },
        tenants=len(summary.records),
        status={s: summary.count(s) for s in ("succeeded", "rejected", "failed")},
        wmape={r.tenant: r.metrics.get("wmape") for r in summary.records},
        failures=[f"{r.tenant}: {r.reason}" for r in summary.records if r.status == "failed"][:5],
        worker_seconds=timings,
    )


def _pool(preload: str, initializer: Callable[..., None], setup: object, workers: int) -> Any:
    """A forkserver pool like modelfleet's, its server started (and timed) up front."""
    import multiprocessing
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([preload])
    forkserver.ensure_running()
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=initializer, initargs=(setup,)
    )


def _subset(items: Sequence[Any], limit: int | None) -> list[Any]:
    """``limit`` items spread evenly over ``items`` (all of them when no limit)."""
    if limit is None or limit >= len(items):
        return list(items)
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def run_loop_arm(
    arm: str, spec_path: Path, home: Path, workers: int, limit: int | None
) -> dict[str, Any]:
    """The floor and the MLflow arms: same ingest, features and matrices, then the pool."""
    import numpy as np

    import _fleet_work as work
    from modelfleet.config.blocks import PERIOD_DAYS
    from modelfleet.config.spec import load_spec
    from modelfleet.data.ingest import load_fleet_data
    from modelfleet.features.forecast import build_forecast_features
    from modelfleet.training.lightgbm_family import build_params

    if arm != "floor":  # import before the clock, as modelfleet and lightgbm are
        import _fleet_mlflow  # noqa: F401

    start = time.perf_counter()
    spec = load_spec(spec_path, ENVIRONMENT)
    data = load_fleet_data(spec)
    t_ingest = time.perf_counter()
    schema = spec.data_schema
    feature_set = build_forecast_features(data.table, spec, frequency=data.frequency)
    t_features = time.perf_counter()
    span = np.timedelta64(PERIOD_DAYS[data.frequency] * spec.validation.horizon, "D")
    tasks = work.prepare_matrices(
        feature_set.table,
        feature_set.feature_columns,
        feature_set.categorical,
        timestamp=schema.timestamp,
        target=schema.target,
        holdout_span=span,
    )
    params, rounds = build_params(spec.model.params, spec.task)
    names = feature_set.feature_columns
    setup = work.ModelSetup(
        params, rounds, names, tuple(names.index(c) for c in feature_set.categorical)
    )
    t_prep = time.perf_counter()

    chosen = _subset(tasks, limit)
    fixed: dict[str, float] = {}
    if arm == "floor":
        pool_start = time.perf_counter()
        pool = _pool("_fleet_work", work.init_floor_worker, setup, workers)
        fixed["forkserver_start"] = time.perf_counter() - pool_start
        task_fn: Callable[[Any], Any] = work.floor_task
    else:
        pool, task_fn = _mlflow_pool(arm, home, setup, workers, fixed)
    results, failures = _drain(pool, task_fn, chosen)
    end = time.perf_counter()

    return _phase_result(
        arm,
        {
            "ingest": t_ingest - start,
            "features": t_features - t_ingest,
            "prep": t_prep - t_features,
            "loop": end - t_prep,
            "total": end - start,
        },
        tenants=len(results),
        tenants_available=len(tasks),
        tenants_attempted=len(chosen),
        fixed_loop_seconds=fixed,
        wmape={r.tenant: r.metrics["wmape"] for r in results},
        failures=failures[:5],
        failed=len(failures),
        worker_seconds={
            "fit": sum(r.fit_seconds for r in results),
            "tracking": sum(r.extra_seconds for r in results),
        },
        retries=sum(r.attempts - 1 for r in results),
    )


def _mlflow_pool(
    arm: str, home: Path, setup: Any, workers: int, fixed: dict[str, float]
) -> tuple[Any, Callable[[Any], Any]]:
    import mlflow
    import mlflow.lightgbm

    import _fleet_mlflow as ml

    clock = time.perf_counter()
    # Creates the SQLite schema (MLflow's migrations) and the experiment, once, in the parent.
    experiment_id = mlflow.create_experiment(
        "rossmann", artifact_location=(home / "mlartifacts").as_uri()
    )
    fixed["experiment_create"] = time.perf_counter() - clock
    pins = None if arm == "mlflow" else tuple(mlflow.lightgbm.get_default_pip_requirements())
    clock = time.perf_counter()
    pool = _pool(
        "_fleet_mlflow",
        ml.init_mlflow_worker,
        ml.MlflowSetup(setup, experiment_id, REGISTERED_PREFIX, pins),
        workers,
    )
    fixed["forkserver_start"] = time.perf_counter() - clock
    return pool, ml.mlflow_task


def _drain(
    pool: ProcessPoolExecutor, fn: Callable[[Any], Any], tasks: Iterable[Any]
) -> tuple[list[Any], list[str]]:
    """Submit every task, collect results as they complete; failures are kept, not raised."""
    results: list[Any] = []
    failures: list[str] = []
    with pool:
        futures: dict[Future[Any], str] = {pool.submit(fn, t): t.tenant for t in tasks}
        for future in as_completed(futures):
            try:
                results.append(future.result())
            except Exception as exc:
                failures.append(f"{futures[future]}: {type(exc).__name__}: {exc}"[:300])
    return results, failures


def arm_main(args: argparse.Namespace) -> int:
    """Entry point of one arm's process: run it and write its JSON result."""
    home = Path(args.home)
    spec_path = Path(args.spec)
    if args.arm == "modelfleet":
        result = run_modelfleet(spec_path, home, args.workers)
    else:
        result = run_loop_arm(args.arm, spec_path, home, args.workers, args.limit)
    Path(args.result_file).write_text(json.dumps(result))
    return 0


# ============================================================================ orchestration
def subset_spec(folder: Path, stores: int) -> Path:
    """A copy of the Rossmann spec limited to stores 1..N (paths made absolute)."""
    import yaml

    raw = yaml.safe_load(bl.ROSSMANN_SPEC.read_text(encoding="utf-8"))
    for source in raw["sources"]:
        source["path"] = str((bl.ROSSMANN_SPEC.parent / source["path"]).resolve())
    with (bl.ROSSMANN_DIR / "store.csv").open(newline="", encoding="utf-8") as handle:
        ids = sorted(int(row["Store"]) for row in csv.DictReader(handle))
    raw["tenants"] = {"include": [str(i) for i in ids[:stores]]}
    path = folder / "fleet.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def arm_environment(arm: str, home: Path, guard_dir: Path, net_log: Path) -> dict[str, str]:
    """A clean environment: no MODELFLEET_/MLFLOW_ settings leak in, the network guard on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELFLEET_", "MLFLOW_"))}
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(guard_dir), os.environ.get("PYTHONPATH", "")) if p
            ),
            bl.NET_LOG_ENV: str(net_log),
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "true",
            "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
            "GIT_PYTHON_REFRESH": "quiet",
            "PYTHONWARNINGS": "ignore",
        }
    )
    if arm.startswith("mlflow"):
        env["MLFLOW_TRACKING_URI"] = f"sqlite:///{home / 'mlflow.db'}"
    return env


def run_arm_process(
    arm: str,
    spec_path: Path,
    root: Path,
    workers: int,
    limit: int | None,
    index: int,
    quiet_wait: float = 0.0,
) -> dict[str, Any]:
    """Run one arm in a child process, sampling its process tree; returns its result."""
    home = root / f"{arm}-{index}"
    home.mkdir(parents=True)
    result_file = home / "result.json"
    net_log = home / "network.log"
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--arm",
        arm,
        "--home",
        str(home),
        "--spec",
        str(spec_path),
        "--workers",
        str(workers),
        "--result-file",
        str(result_file),
    ]
    if limit is not None:
        command += ["--limit", str(limit)]
    env = arm_environment(arm, home, root / "guard", net_log)
    print(f"-- {ARM_TITLES[arm]} (run {index + 1}) ...", flush=True)
    waited, busy_cores = bl.wait_for_quiet(quiet_wait) if quiet_wait > 0 else (0.0, 0.0)
    if quiet_wait > 0:
        print(f"   waited {waited:.0f} s for a quiet machine (busy cores {busy_cores:.2f})")
    code = bl.code_state()
    busy_before, load_before = bl.system_busy_seconds(), os.getloadavg()
    own_before = time.process_time()  # the sampler's own CPU is not "other" load
    start = time.perf_counter()
    log_path = root / f"{arm}-{index}.log"  # MLflow prints a line per registered model
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=home, stdout=log, stderr=log)
        with bl.TreeSampler(process.pid) as sampler:
            exit_code = process.wait()
    wall = time.perf_counter() - start
    busy = bl.system_busy_seconds() - busy_before - (time.process_time() - own_before)
    if exit_code != 0:
        tail = log_path.read_text(errors="replace").splitlines()[-40:]
        raise SystemExit(f"arm {arm} failed with exit code {exit_code}:\n" + "\n".join(tail))
    result: dict[str, Any] = json.loads(result_file.read_text())
    usage = sampler.usage
    result.update(
        process_wall=wall,
        cpu_seconds=usage.cpu_seconds,
        other_cpu_seconds=max(0.0, busy - usage.cpu_seconds),
        peak_rss_mb=usage.peak_rss_mb,
        peak_pss_mb=usage.peak_pss_mb,
        peak_processes=usage.peak_processes,
        load_average_before=load_before,
        code_state=code,
        quiet_wait_seconds=waited,
        busy_cores_before=busy_cores,
        disk_mb=bl.dir_size_bytes(home) / 1e6,
        network_attempts=bl.network_attempts(net_log),
    )
    shutil.rmtree(home, ignore_errors=True)
    print(
        f"   {result['tenants']} tenants, {result['phases']['total']:.1f} s, "
        f"peak PSS {usage.peak_pss_mb:.0f} MB, other CPU {result['other_cpu_seconds']:.0f} s",
        flush=True,
    )
    return result


def summarise(arm: str, runs: list[dict[str, Any]], total_tenants: int) -> dict[str, Any]:
    """The least disturbed repeat (lowest end-to-end time) represents an arm; the MLflow
    default arm's loop is extrapolated per tenant when it ran on a subset."""
    best = min(runs, key=lambda r: r["phases"]["total"])

    def median(get: Callable[[dict[str, Any]], float]) -> float:
        return float(statistics.median(get(r) for r in runs))

    phases = dict(best["phases"])
    tenants = runs[0]["tenants"]
    attempted = runs[0].get("tenants_attempted", tenants)
    extrapolated = attempted < runs[0].get("tenants_available", attempted)
    loop, total = phases["loop"], phases["total"]
    if extrapolated:
        fixed = sum(best["fixed_loop_seconds"].values())
        per_tenant = (loop - fixed) / attempted
        loop = fixed + per_tenant * total_tenants
        total = phases["total"] - phases["loop"] + loop
    return {
        "arm": arm,
        "runs": len(runs),
        "tenants_measured": tenants,
        "extrapolated": extrapolated,
        "phases": phases,
        "ingest": phases["ingest"] + phases.get("setup", 0.0),
        "features": phases["features"] + phases.get("prep", 0.0),
        "loop": loop,
        "total": total,
        "tenants_per_second": total_tenants / total,
        "cpu_seconds": best["cpu_seconds"] * (total_tenants / tenants),
        "cpu_seconds_min": min(r["cpu_seconds"] for r in runs) * (total_tenants / tenants),
        "peak_rss_mb": median(lambda r: r["peak_rss_mb"]),
        "peak_pss_mb": median(lambda r: r["peak_pss_mb"]),
        "other_cpu_seconds": best["other_cpu_seconds"],
        "total_all_runs": [r["phases"]["total"] for r in runs],
        "disk_mb": median(lambda r: r["disk_mb"]) * (total_tenants / tenants),
    }


def wmape_check(reference: dict[str, float], other: dict[str, float]) -> dict[str, Any]:
    """How far another arm's holdout wMAPE is from modelfleet's, over the common tenants."""
    common = sorted(set(reference) & set(other))
    diffs = [abs(reference[t] - other[t]) for t in common]
    return {
        "tenants_compared": len(common),
        "max_abs_diff": max(diffs, default=float("nan")),
        "differ_over_1e-9": sum(d > 1e-9 for d in diffs),
    }


def report(summary: dict[str, dict[str, Any]], total_tenants: int) -> dict[str, Any]:
    """Print the side-by-side table and the ratios; return the derived figures."""
    arms = [a for a in ARMS if a in summary]

    def row(label: str, key: str, scale: float = 1.0) -> list[object]:
        cells: list[object] = [label]
        for arm in arms:
            value = summary[arm][key] * scale
            star = "*" if summary[arm]["extrapolated"] and key in _SCALED else ""
            cells.append(f"{bl._fmt(value)}{star}")
        return cells

    headers = ["", *(ARM_TITLES[a] for a in arms)]
    rows = [
        ["tenants measured", *(summary[a]["tenants_measured"] for a in arms)],
        row("ingest + validate (s)", "ingest"),
        row("features + per-tenant split (s)", "features"),
        row("training loop (s)", "loop"),
        row("end to end (s)", "total"),
        row("tenants / s", "tenants_per_second"),
        row("CPU seconds, whole tree", "cpu_seconds"),
        row("peak RSS, tree sum (MB)", "peak_rss_mb"),
        row("peak PSS, tree sum (MB)", "peak_pss_mb"),
        row("other CPU on machine (s)", "other_cpu_seconds"),
        row("disk written (MB)", "disk_mb"),
    ]
    print()
    print(f"Rossmann: {total_tenants} stores ({ENVIRONMENT}); * = extrapolated from a subset")
    print(bl.table(headers, rows))

    derived: dict[str, Any] = {}
    if "modelfleet" in summary and "floor" in summary:
        mf, fl = summary["modelfleet"], summary["floor"]
        derived["overhead"] = {
            "end_to_end_ms_per_tenant": (mf["total"] - fl["total"]) / total_tenants * 1000,
            "end_to_end_pct": (mf["total"] / fl["total"] - 1) * 100,
            "loop_ms_per_tenant": (mf["loop"] - fl["loop"]) / total_tenants * 1000,
            "loop_pct": (mf["loop"] / fl["loop"] - 1) * 100,
            "cpu_ms_per_tenant": (mf["cpu_seconds"] - fl["cpu_seconds"]) / total_tenants * 1000,
            "cpu_pct": (mf["cpu_seconds"] / fl["cpu_seconds"] - 1) * 100,
            "peak_pss_ratio": mf["peak_pss_mb"] / fl["peak_pss_mb"],
        }
    if "modelfleet" in summary:
        mf = summary["modelfleet"]
        for arm in ("mlflow-pinned", "mlflow"):
            if arm in summary:
                other = summary[arm]
                derived[f"{arm}_vs_modelfleet"] = {
                    "end_to_end_speedup": other["total"] / mf["total"],
                    "loop_speedup": other["loop"] / mf["loop"],
                    "cpu_ratio": other["cpu_seconds"] / mf["cpu_seconds"],
                    "peak_pss_ratio": other["peak_pss_mb"] / mf["peak_pss_mb"],
                    "extrapolated": other["extrapolated"],
                }
    if "overhead" in derived:
        o = derived["overhead"]
        print()
        print("modelfleet over the floor (target: within 10%):")
        for label, key in (("end to end", "end_to_end"), ("loop only", "loop"), ("CPU", "cpu")):
            print(
                f"  {label:<12} {o[key + '_pct']:+.1f}%  "
                f"({o[key + '_ms_per_tenant']:+.1f} ms per tenant)"
            )
        print(f"  peak PSS     x{o['peak_pss_ratio']:.2f}")
    for arm in ("mlflow-pinned", "mlflow"):
        key = f"{arm}_vs_modelfleet"
        if key in derived:
            d = derived[key]
            mark = " (extrapolated)" if d["extrapolated"] else ""
            print(
                f"{ARM_TITLES[arm]} / modelfleet{mark}: end to end x{d['end_to_end_speedup']:.2f}, "
                f"loop x{d['loop_speedup']:.2f}, CPU x{d['cpu_ratio']:.2f}, "
                f"peak PSS x{d['peak_pss_ratio']:.2f}"
            )
    return derived


_SCALED = {"loop", "total", "tenants_per_second", "cpu_seconds", "disk_mb"}


def orchestrate(args: argparse.Namespace) -> int:
    """Run every selected arm (floor and modelfleet interleaved when repeated) and report."""
    arms = [a for a in ARMS if a in args.arms]
    root = Path(tempfile.mkdtemp(prefix="modelfleet-bench-"))
    try:
        bl.guard_sitecustomize(root / "guard")
        spec_path = bl.ROSSMANN_SPEC if args.stores is None else subset_spec(root, args.stores)
        raw: dict[str, list[dict[str, Any]]] = {a: [] for a in arms}
        for index in range(args.repeat):
            for arm in arms:
                if index > 0 and arm.startswith("mlflow"):
                    continue  # the MLflow arms are measured once
                limit = {"mlflow": args.mlflow_stores, "mlflow-pinned": args.pinned_stores}
                raw[arm].append(
                    run_arm_process(
                        arm,
                        spec_path,
                        root,
                        args.workers,
                        limit.get(arm),
                        index,
                        args.wait_quiet,
                    )
                )
    finally:
        shutil.rmtree(root, ignore_errors=True)

    total_tenants = max(
        r.get("tenants_available", r["tenants"]) for runs in raw.values() for r in runs
    )
    summary = {arm: summarise(arm, runs, total_tenants) for arm, runs in raw.items()}
    derived = report(summary, total_tenants)
    checks: dict[str, Any] = {}
    if "modelfleet" in raw:
        reference = raw["modelfleet"][0]["wmape"]
        for arm in arms:
            if arm != "modelfleet":
                checks[arm] = wmape_check(reference, raw[arm][0]["wmape"])
        print()
        for arm, check in checks.items():
            print(
                f"holdout wMAPE {ARM_TITLES[arm]} vs modelfleet: {check['tenants_compared']} "
                f"tenants, max |diff| {check['max_abs_diff']:.2e}, "
                f"{check['differ_over_1e-9']} differ"
            )
    states = sorted({r["code_state"] for runs in raw.values() for r in runs})
    if len(states) > 1:
        print(f"WARNING: the code under src/ changed during the benchmark: {states}")
    attempts = {a: sum(len(r["network_attempts"]) for r in raw[a]) for a in arms}
    failures = {a: [f for r in raw[a] for f in r["failures"]] for a in arms}
    print(f"network attempts blocked: {attempts}")
    if any(failures.values()):
        print(f"failures: {failures}")
    for runs in raw.values():
        for r in runs:
            r.pop("wmape", None)
    path = bl.write_result(
        "fleet-training",
        {
            "benchmark": "fleet_training",
            "machine": bl.machine_info(PACKAGES),
            "settings": {
                "stores": args.stores or "all",
                "tenants": total_tenants,
                "workers": args.workers,
                "repeat": args.repeat,
                "mlflow_stores": args.mlflow_stores,
                "mlflow_pinned_stores": args.pinned_stores,
                "wait_quiet": args.wait_quiet,
            },
            "summary": summary,
            "derived": derived,
            "wmape_checks": checks,
            "network_attempts": attempts,
            "code_states": states,
            "runs": raw,
        },
    )
    print(f"\nresults: {path.relative_to(bl.REPO_ROOT)}")
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command line; ``--arm`` is internal (one arm's child process)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", type=int, default=None, help="first N stores (default all)")
    parser.add_argument("--workers", type=int, default=2, help="pool workers (default 2)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of floor and modelfleet")
    parser.add_argument(
        "--arms",
        type=lambda s: s.split(","),
        default=list(ARMS),
        help=f"comma-separated subset of {','.join(ARMS)}",
    )
    parser.add_argument(
        "--mlflow-stores",
        type=int,
        default=120,
        help="tenants the default MLflow recipe trains; its loop is extrapolated (default 120)",
    )
    parser.add_argument(
        "--pinned-stores",
        type=int,
        default=None,
        help="tenants the pinned MLflow recipe trains (default all)",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        help="before each arm, wait up to this many seconds for other programs to go idle",
    )
    parser.add_argument("--arm", choices=ARMS, help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = set(args.arms) - set(ARMS)
    if unknown:
        parser.error(f"unknown arms {sorted(unknown)}; choose from {', '.join(ARMS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or, with the internal ``--arm``, one arm)."""
    args = parse_args(argv)
    return arm_main(args) if args.arm else orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
