"""The serving benchmark's BentoML arm: ``bentoml serve`` for the first tenant's booster.

BentoML runs from its own venv (``.venv-bentoml``, see the README), never the one of modelfleet
or MLflow. The service (``_bento_service.py``) is copied into the run's temporary folder and
served from there; it loads the same booster text file as the MLflow arm.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _benchlib as bl
import _serving_arms as arms

SERVICE = Path(__file__).resolve().with_name("_bento_service.py")
BOOSTER_ENV = "MODELFLEET_BENCH_BOOSTER"  # as in _bento_service.py
Load = Callable[[Path, list[tuple[str, str]], int, Any], dict[str, Any]]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--bentoml-venv`` and ``--no-bentoml``."""
    parser.add_argument("--bentoml-venv", default=str(bl.REPO_ROOT / ".venv-bentoml"))
    parser.add_argument("--no-bentoml", action="store_true")


def feature_rows(package: Any, records: list[dict[str, Any]]) -> list[list[float | None]]:
    """The records as the booster's encoded feature rows (as the MLflow arm gets them), with
    None for a missing value: JSON's null."""
    features = list(package.estimator.features)
    table, stamps = arms.plain_table(records, package.meta.timestamp)
    matrix = package.frame(table, stamps).to_matrix(features, family="lightgbm")
    return [[None if math.isnan(v) else v for v in row] for row in matrix.tolist()]


def bentoml_version(venv: Path) -> str | None:
    """The BentoML version installed in ``venv``."""
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import bentoml; print(bentoml.__version__)"],
        capture_output=True,
        text=True,
        env={**os.environ, "BENTOML_DO_NOT_TRACK": "True"},
        check=False,
    )
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def bentoml_runs(
    folder: Path,
    package: Any,
    batches: dict[int, list[dict[str, Any]]],
    args: Any,
    load: Load,
) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
    """BentoML's server for the first tenant's booster; (runs, {skipped, version, ...}).

    Says so when the arm is skipped (``--no-bentoml``, or no BentoML venv).
    """
    venv = Path(args.bentoml_venv)
    skipped = "--no-bentoml" if args.no_bentoml else None
    if not skipped and not (venv / "bin" / "bentoml").exists():
        skipped = f"no BentoML venv at {venv.name}/ (make it as the README says)"
    if skipped:
        print(f"bentoml serve: skipped, {skipped}")
        return {}, {"skipped": skipped}
    cli = venv / "bin" / "bentoml"
    booster = folder / "booster.txt"  # the MLflow arm's file, when that arm ran
    if not booster.exists():
        package.estimator.booster.save_model(str(booster))
    service_dir = folder / "bento-service"
    service_dir.mkdir(exist_ok=True)
    shutil.copy(SERVICE, service_dir / SERVICE.name)
    guard = bl.guard_sitecustomize(folder / "guard")
    env = {
        **os.environ,
        "BENTOML_DO_NOT_TRACK": "True",  # no usage tracking
        "BENTOML_HOME": str(folder / "bentoml-home"),  # not the user's ~/bentoml
        BOOSTER_ENV: str(booster),
        "PYTHONPATH": str(guard),
        bl.NET_LOG_ENV: str(folder / "bentoml-net.log"),
    }
    port = arms.free_port()
    cmd = [
        str(cli),
        "serve",
        f"{SERVICE.stem}:Booster",
        "--working-dir",
        str(service_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    url = f"http://127.0.0.1:{port}"
    out: dict[int, dict[str, Any]] = {}
    with arms.server(cmd, f"{url}/readyz", folder / "bentoml.log", env) as proc:
        for size, records in batches.items():
            body = json.dumps({"rows": feature_rows(package, records)})
            _check_answer(f"{url}/predict", body, package)
            out[size] = load(folder, [(f"{url}/predict", body)], proc.pid, args)
        rss = arms.vm_rss_mb(proc.pid)
    attempts = bl.network_attempts(folder / "bentoml-net.log")
    if attempts:
        print(f"BentoML tried the network {len(attempts)} times (blocked): {attempts[:3]}")
    info = {
        "skipped": None,
        "version": bentoml_version(venv),
        "rss_mb_after_load": rss,
        "network_attempts": attempts,
    }
    return out, info


def _check_answer(url: str, body: str, package: Any) -> None:
    """One request before the load: BentoML's answer is the booster's own prediction."""
    import httpx
    import numpy as np

    answer = httpx.post(url, content=body, headers={"content-type": "application/json"})
    answer.raise_for_status()
    rows = np.array(json.loads(body)["rows"], dtype=np.float64)
    expected = package.estimator.booster.predict(rows)
    if not np.allclose(answer.json(), expected, rtol=1e-9, atol=1e-9):
        raise RuntimeError(f"BentoML answered {answer.text[:200]}, expected {expected[:3]}")
