"""Prediction serving: modelfleet's server for a whole fleet vs a hand-written one-model endpoint.

One run trains a demo fleet (``--tenants`` stores, one LightGBM model each, all promoted to dev)
into a temporary folder, then measures side by side, for requests of 1 and of 100 records:

* ``raw predict`` -- ``ModelPackage.predict`` on the same rows in this process, no HTTP: the
  upper bound;
* ``plain endpoint`` -- a FastAPI app as a user writes it by hand (``_serving_arms.plain_app``):
  one tenant's package, a pydantic body of ``list[dict]``, predict, answer;
* ``modelfleet serve`` -- every tenant behind one endpoint, requests spread across all of them
  (routing, input checks, the prediction log and metrics all on);
* ``mlflow models serve`` -- MLflow's scoring server for one tenant's booster, when MLflow
  imports in the separate bench venv (``.venv-bench``, see the README); skipped with the reason
  otherwise;
* ``bentoml serve`` -- a BentoML 1.4 service for the same booster and encoded rows, in its own
  venv (``.venv-bentoml``; ``_serving_bento``); skipped with the reason otherwise.

Each server runs in its own process on 127.0.0.1 (uvicorn, one worker, log level warning); the
load generator is another process: closed loop, ``--concurrency`` threads with an httpx.Client
each, a warm-up, then ``--seconds`` measured. Reported per arm and payload: req/s, p50/p99
latency, the server's CPU per request (its process tree's utime + stime), errors; ratios vs the
plain endpoint; modelfleet's RSS once every tenant's model is loaded. ``--profile`` adds where
modelfleet's time goes per request (``_serving_profile``).

Run (from the repository root)::

    .venv/bin/python benchmarks/bench_serving.py [--tenants 200] [--seconds 10] [--profile]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import _benchlib as bl
import _serving_arms as arms
import _serving_bento

ARMS_SCRIPT = Path(arms.__file__).resolve()
PLAIN_ARMS = ("plain endpoint", "plain endpoint, async def")
TARGETS = {"req/s": ">= plain endpoint", "p99": "<= 1.2 x plain endpoint", "vs mlflow": ">= 10x"}


def _load(folder: Path, targets: list[tuple[str, str]], pid: int, args: Any) -> dict[str, Any]:
    """One closed-loop run of the load generator (its own process) against ``targets``."""
    if args.wait_quiet:  # let someone else's test run finish first (a shared machine)
        waited, busy = bl.wait_for_quiet(args.wait_quiet)
        print(f"waited {waited:.0f} s for quiet ({busy:.2f} busy cores)", flush=True)
    path = folder / "targets.json"
    path.write_text(json.dumps(targets))
    cmd = [
        sys.executable,
        str(ARMS_SCRIPT),
        "load",
        "--targets",
        str(path),
        "--pid",
        str(pid),
        "--seconds",
        str(args.seconds),
        "--warmup",
        str(args.warmup),
        "--concurrency",
        str(args.concurrency),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    result = dict(json.loads(done.stdout))
    if result["errors"]:
        print(f"{result['errors']} errors from {targets[0][0]}, e.g. {result['failures'][:2]}")
    return result


def _body(records: list[dict[str, Any]]) -> str:
    return json.dumps({"records": records})


def plain_runs(
    folder: Path,
    fleet: arms.Fleet,
    batches: dict[int, list[dict[str, Any]]],
    args: Any,
    asynchronous: bool = False,
) -> dict[int, dict[str, Any]]:
    """The hand-written one-model endpoint, for one tenant's records (``def`` or ``async``)."""
    port = arms.free_port()
    cmd = [
        sys.executable,
        str(ARMS_SCRIPT),
        "plain",
        "--home",
        str(fleet.home),
        "--model",
        f"{fleet.name}/{fleet.tenants[0]}",
        "--port",
        str(port),
        *(["--async-def"] if asynchronous else []),
    ]
    url = f"http://127.0.0.1:{port}"
    out: dict[int, dict[str, Any]] = {}
    with arms.server(cmd, f"{url}/healthz", folder / "plain.log") as proc:
        for size, records in batches.items():
            out[size] = _load(folder, [(f"{url}/predict", _body(records))], proc.pid, args)
    return out


def modelfleet_runs(
    folder: Path, fleet: arms.Fleet, per_tenant: dict[str, list[dict[str, Any]]], args: Any
) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
    """``modelfleet serve`` for the whole fleet, each request for the next tenant in turn."""
    import httpx

    port = arms.free_port()
    exe = str(Path(sys.executable).with_name("modelfleet"))
    cmd = [
        exe,
        "--home",
        str(fleet.home),
        "serve",
        str(fleet.spec),
        "--env",
        "dev",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
    ]
    url = f"http://127.0.0.1:{port}"
    out: dict[int, dict[str, Any]] = {}
    memory: dict[str, Any] = {}
    with arms.server(cmd, f"{url}/healthz", folder / "modelfleet.log") as proc:
        memory["rss_mb_started"] = arms.vm_rss_mb(proc.pid)
        with httpx.Client(timeout=60) as http, bl.stopwatch() as loading:
            for tenant in fleet.tenants:  # load every tenant's model once
                answer = http.post(
                    predict_url(url, fleet.name, tenant),
                    content=_body(per_tenant[tenant][:1]),
                    headers={"content-type": "application/json"},
                )
                answer.raise_for_status()
            memory["cache"] = http.get(f"{url}/readyz").json()["cache"]
        memory["load_all_seconds"] = loading[0]
        memory["rss_mb_all_loaded"] = arms.vm_rss_mb(proc.pid)
        for size in args.payloads:
            targets = [
                (predict_url(url, fleet.name, t), _body(arms.batch(per_tenant[t], size)))
                for t in fleet.tenants
            ]
            out[size] = _load(folder, targets, proc.pid, args)
        memory["rss_mb_after_load"] = arms.vm_rss_mb(proc.pid)
        memory["readyz_after"] = httpx.get(f"{url}/readyz").json()["cache"]
    return out, memory


def predict_url(url: str, fleet: str, tenant: str) -> str:
    """modelfleet's predict route of one tenant."""
    return f"{url}/v1/fleets/{fleet}/tenants/{tenant}/predict"


def mlflow_runs(
    folder: Path, package: Any, batches: dict[int, list[dict[str, Any]]], args: Any
) -> tuple[dict[int, dict[str, Any]], str | None]:
    """MLflow's scoring server for the first tenant's booster; (runs, why skipped)."""
    venv = Path(args.mlflow_venv)
    py, cli = venv / "bin" / "python", venv / "bin" / "mlflow"
    if args.no_mlflow:
        return {}, "--no-mlflow"
    if not cli.exists():
        return {}, f"no MLflow venv at {venv.name}/ (make it as the README says)"
    guard = bl.guard_sitecustomize(folder / "guard")
    env = {
        **os.environ,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "1",
        # MLflow starts `uvicorn` by name: the venv must come first on PATH
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(guard),
        bl.NET_LOG_ENV: str(folder / "net.log"),
    }
    booster, model_dir = folder / "booster.txt", folder / "mlflow-model"
    package.estimator.booster.save_model(str(booster))
    save = subprocess.run(
        [
            str(py),
            str(ARMS_SCRIPT),
            "mlflow-save",
            "--booster",
            str(booster),
            "--out",
            str(model_dir),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if save.returncode != 0:
        return {}, f"saving the model with MLflow failed: {save.stderr.strip()[-400:]}"
    features = list(package.estimator.features)
    port = arms.free_port()
    cmd = [
        str(cli),
        "models",
        "serve",
        "-m",
        str(model_dir),
        "--env-manager",
        "local",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    url = f"http://127.0.0.1:{port}"
    out: dict[int, dict[str, Any]] = {}
    with arms.server(cmd, f"{url}/ping", folder / "mlflow.log", env) as proc:
        for size, records in batches.items():
            table, stamps = arms.plain_table(records, package.meta.timestamp)
            matrix = package.frame(table, stamps).to_matrix(features, family="lightgbm")
            # Missing values as NaN (MLflow's server parses Python's JSON, which takes it): a
            # column of nulls would reach LightGBM as dtype object and be refused.
            body = json.dumps({"dataframe_split": {"columns": features, "data": matrix.tolist()}})
            out[size] = _load(folder, [(f"{url}/invocations", body)], proc.pid, args)
    attempts = bl.network_attempts(folder / "net.log")
    if attempts:
        print(f"MLflow tried the network {len(attempts)} times (blocked): {attempts[:3]}")
    return out, None


def _ratio(run: dict[str, Any], base: dict[str, Any] | None, key: str) -> float | None:
    if not base or not base.get(key) or run.get(key) is None:
        return None
    return float(run[key]) / float(base[key])


def report(results: dict[str, dict[int, dict[str, Any]]], sizes: list[int]) -> str:
    """The table: each arm and payload, with ratios vs the faster plain endpoint."""
    rows = []
    for size in sizes:
        plains = [results[a][size] for a in PLAIN_ARMS if size in results.get(a, {})]
        base = max(plains, key=lambda r: r["req_per_s"]) if plains else None
        for arm, runs in results.items():
            run = runs.get(size)
            if run is None:
                continue

            rows.append(
                [
                    f"{arm}, {size} rec",
                    run["req_per_s"],
                    _ratio(run, base, "req_per_s"),
                    run["p50_ms"],
                    run["p99_ms"],
                    _ratio(run, base, "p99_ms"),
                    run["server_cpu_ms_per_req"],
                    _ratio(run, base, "server_cpu_ms_per_req"),
                    run["errors"],
                    run.get("loadgen_cores"),
                    run.get("other_cores"),
                ]
            )
    headers = [
        "arm, payload",
        "req/s",
        "x plain",
        "p50 ms",
        "p99 ms",
        "p99 x plain",
        "CPU ms/req",
        "CPU x plain",
        "errors",
        "loadgen cores",
        "other cores",
    ]
    return bl.table(headers, rows)


def verdict(results: dict[str, dict[int, dict[str, Any]]], sizes: list[int]) -> list[str]:
    """The issue's targets, met or not, per payload."""
    lines = []
    for size in sizes:
        # Against the faster of the two hand-written endpoints (def or async def).
        mf = results["modelfleet serve"][size]
        plains = [results[a][size] for a in PLAIN_ARMS if size in results.get(a, {})]
        plain = max(plains, key=lambda r: r["req_per_s"])
        if not plain["p99_ms"] or not mf["p99_ms"]:
            lines.append(f"{size} rec: no successful requests to compare")
            continue
        thr = mf["req_per_s"] / plain["req_per_s"]
        p99 = mf["p99_ms"] / plain["p99_ms"]
        line = (
            f"{size} rec: throughput {thr:.2f}x plain ({'met' if thr >= 1 else 'NOT met'}), "
            f"p99 {p99:.2f}x plain ({'met' if p99 <= 1.2 else 'NOT met'})"
        )
        mlflow = results.get("mlflow models serve", {}).get(size)
        if mlflow:
            vs = mf["req_per_s"] / mlflow["req_per_s"]
            line += f", {vs:.1f}x MLflow ({'met' if vs >= 10 else 'NOT met'})"
        bento = results.get("bentoml serve", {}).get(size)
        if bento:
            line += f", {mf['req_per_s'] / bento['req_per_s']:.2f}x BentoML"
        lines.append(line)
    return lines


def main() -> None:
    """Train the fleet, run every arm, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured per arm and payload")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--payloads", type=int, nargs="+", default=[1, 100])
    parser.add_argument("--mlflow-venv", default=str(bl.REPO_ROOT / ".venv-bench"))
    parser.add_argument("--no-mlflow", action="store_true")
    _serving_bento.add_arguments(parser)
    parser.add_argument(
        "--wait-quiet", type=float, default=0.0, help="before each run, wait up to this many s"
    )
    parser.add_argument("--profile", action="store_true", help="where modelfleet's time goes")
    parser.add_argument("--profile-only", action="store_true", help="the profile, no arms")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="modelfleet-bench-serving-"))
    try:
        print(f"training {args.tenants} tenants ...", flush=True)
        fleet = arms.build_fleet(folder, args.tenants, args.days)
        print(f"trained and promoted in {fleet.train_seconds:.0f} s", flush=True)
        per_tenant: dict[str, list[dict[str, Any]]] = {}
        first = None
        for tenant in fleet.tenants:
            package, records = arms.holdout_records(fleet.home, f"{fleet.name}/{tenant}")
            per_tenant[tenant] = records
            first = first or package
        assert first is not None
        batches = {n: arms.batch(per_tenant[fleet.tenants[0]], n) for n in args.payloads}
        if args.profile_only:
            import _serving_profile

            found = _serving_profile.profile(fleet, per_tenant, batches)
            print(_serving_profile.render(found))
            path = bl.write_result(
                "serving-profile", {"args": vars(args), "machine": bl.machine_info(), **found}
            )
            print(f"\nwrote {path.relative_to(bl.REPO_ROOT)}")
            return
        results: dict[str, dict[int, dict[str, Any]]] = {}
        raw = {n: arms.raw_arm(first, b, args.seconds) for n, b in batches.items()}
        results["raw predict"] = raw
        print("raw predict done", flush=True)
        results["plain endpoint"] = plain_runs(folder, fleet, batches, args)
        results[PLAIN_ARMS[1]] = plain_runs(folder, fleet, batches, args, asynchronous=True)
        print("plain endpoints done", flush=True)
        results["modelfleet serve"], memory = modelfleet_runs(folder, fleet, per_tenant, args)
        print("modelfleet serve done", flush=True)
        results["mlflow models serve"], skipped = mlflow_runs(folder, first, batches, args)
        if skipped:
            print(f"mlflow models serve: skipped, {skipped}")
        bento_runs, bento = _serving_bento.bentoml_runs(folder, first, batches, args, _load)
        results["bentoml serve"] = bento_runs
        profile = None
        if args.profile:
            import _serving_profile

            profile = _serving_profile.profile(fleet, per_tenant, batches)
        print()
        print(report(results, args.payloads))
        print()
        print("targets: " + "; ".join(verdict(results, args.payloads)))
        cache = memory["cache"]
        print(
            f"modelfleet RSS with {cache['models']} models loaded "
            f"({cache['size_bytes'] / 2**20:.1f} MiB of artifacts): "
            f"{memory['rss_mb_all_loaded']:.0f} MiB (started at "
            f"{memory['rss_mb_started']:.0f} MiB; {memory['rss_mb_after_load']:.0f} MiB after "
            f"the load runs)"
        )
        if profile:
            print()
            print(_serving_profile.render(profile))
        path = bl.write_result(
            "serving",
            {
                "args": vars(args),
                "machine": bl.machine_info(
                    ["fastapi", "uvicorn", "pydantic", "lightgbm", "httpx", "pyarrow"]
                ),
                "tenants": len(fleet.tenants),
                "train_seconds": fleet.train_seconds,
                "results": results,
                "memory": memory,
                "mlflow_skipped": skipped,
                "bentoml": bento,
                "profile": profile,
                "targets": TARGETS,
            },
        )
        print(f"\nwrote {path.relative_to(bl.REPO_ROOT)}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
