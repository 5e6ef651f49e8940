"""Ctrl-C (SIGINT) to ``modelfleet train`` while the process pool is busy training.

Every store trains with a model that sleeps a second in ``fit`` and drops a marker file when
it starts, so the signal is sent while tenants are certainly in flight.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

import modelfleet
from modelfleet.data.demo import generate_demo_data

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Interrupted:
    home: Path
    returncode: int
    stderr: str


def _wait_for_files(
    folder: Path, process: subprocess.Popen[bytes], stderr: Path, timeout: float
) -> None:
    """Wait until a tenant started fitting; fail with the run's stderr if it ended or hung."""
    deadline = time.monotonic() + timeout
    while not any(folder.iterdir()):
        if process.poll() is not None:
            raise AssertionError(
                f"train exited {process.returncode} before any tenant started fitting:\n"
                + stderr.read_text(errors="replace")[-4000:]
            )
        if time.monotonic() > deadline:
            raise AssertionError(
                f"no tenant started fitting within {timeout}s; stderr so far:\n"
                + stderr.read_text(errors="replace")[-4000:]
            )
        time.sleep(0.05)


@pytest.fixture(scope="module")
def interrupted(
    tmp_path_factory: pytest.TempPathFactory,
    modelfleet_script: Path,
    clean_env: Callable[..., dict[str, str]],
    helpers_dir: Path,
) -> Iterator[Interrupted]:
    root = tmp_path_factory.mktemp("ctrl-c")
    demo = generate_demo_data(root / "demo", stores=3, days=150)
    spec = yaml.safe_load(demo.spec_path.read_text(encoding="utf-8"))
    markers = root / "markers"
    markers.mkdir()
    spec["model"] = {
        "family": "sklearn:modelfleet_test_families.SleepyMean",
        "params": {"seconds": 1.0, "marker_dir": str(markers)},
    }
    demo.spec_path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    python_path = os.pathsep.join(p for p in (str(helpers_dir), os.environ.get("PYTHONPATH")) if p)
    env = clean_env(
        MODELFLEET_HOME=str(root / "home"),
        PYTHONPATH=python_path,
        COLUMNS="120",
    )
    with (root / "stdout.txt").open("w") as out, (root / "stderr.txt").open("w") as err:
        process = subprocess.Popen(
            [str(modelfleet_script), "train", str(demo.spec_path), "--workers", "2"],
            cwd=root,
            env=env,
            stdout=out,
            stderr=err,
        )
        try:
            _wait_for_files(markers, process, root / "stderr.txt", timeout=180)
            process.send_signal(signal.SIGINT)
            returncode = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    yield Interrupted(root / "home", returncode, (root / "stderr.txt").read_text())


def test_ctrl_c_exits_130_without_a_traceback(interrupted: Interrupted) -> None:
    assert "Traceback" not in interrupted.stderr
    assert interrupted.returncode == 130


def test_ctrl_c_marks_the_fleet_run_interrupted(interrupted: Interrupted) -> None:
    with modelfleet.connect(home=str(interrupted.home), environ={}) as client:
        assert [f.status for f in client.fleet_runs()] == ["interrupted"]
