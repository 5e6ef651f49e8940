"""Stopping ``modelfleet train`` while workers fit: every process it started exits too.

Every store trains with a model that sleeps 60 s in ``fit``, so the signal lands while workers
are busy; the tests then watch the whole process tree the runner had (fork server and workers).
``kill -9`` leaves the runner no say; SIGTERM stops it like Ctrl-C (run marked interrupted).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from tests.processes import alive, descendants

import modelfleet
from modelfleet.data.demo import generate_demo_data

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc"),
]

EXIT_WITHIN_SECONDS = 5.0
START_WITHIN_SECONDS = 180.0


@dataclass(frozen=True)
class Stopped:
    home: Path
    returncode: int
    stderr: str
    left: list[int]  # processes of the runner's tree still alive EXIT_WITHIN_SECONDS later


def _train_and_stop(
    root: Path, script: Path, env_for: Callable[..., dict[str, str]], helpers: Path, sig: int
) -> Stopped:
    """Start a 3-store training with slow fits, send ``sig`` once both workers fit, watch."""
    demo = generate_demo_data(root / "demo", stores=3, days=150)
    spec = yaml.safe_load(demo.spec_path.read_text(encoding="utf-8"))
    markers = root / "markers"
    markers.mkdir()
    spec["model"] = {
        "family": "sklearn:modelfleet_test_families.SleepyMean",
        "params": {"seconds": 60.0, "marker_dir": str(markers)},
    }
    demo.spec_path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    env = env_for(MODELFLEET_HOME=str(root / "home"), PYTHONPATH=str(helpers))
    with (root / "stderr.txt").open("w") as err:
        process = subprocess.Popen(
            [str(script), "train", str(demo.spec_path), "--workers", "2"],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        try:
            # Generous: on a loaded CI machine the fork server's imports alone can take long.
            deadline = time.monotonic() + START_WITHIN_SECONDS
            while len(list(markers.iterdir())) < 2:  # both workers are inside fit
                assert process.poll() is None, (
                    f"train exited ({process.returncode}) before both workers fit: "
                    + (root / "stderr.txt").read_text()[-2000:]
                )
                assert time.monotonic() < deadline, (
                    f"the workers never started fitting within {START_WITHIN_SECONDS}s "
                    f"({len(list(markers.iterdir()))} of 2 did)"
                )
                time.sleep(0.05)
            started = descendants(process.pid)
            assert len(started) >= 3  # the fork server and two workers at least
            os.kill(process.pid, sig)
            returncode = process.wait(timeout=30)
            deadline = time.monotonic() + EXIT_WITHIN_SECONDS
            while any(alive(pid) for pid in started) and time.monotonic() < deadline:
                time.sleep(0.1)
            left = sorted(pid for pid in started if alive(pid))
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    for pid in left:  # never leave them behind, even when the test fails
        os.kill(pid, signal.SIGKILL)
    return Stopped(root / "home", returncode, (root / "stderr.txt").read_text(), left)


StopWith = Callable[[int], Stopped]


@pytest.fixture
def stop_with(
    tmp_path: Path,
    modelfleet_script: Path,
    clean_env: Callable[..., dict[str, str]],
    helpers_dir: Path,
) -> StopWith:
    """``stop_with(signal)``: train slowly in this test's folder and send ``signal`` mid-fit."""
    return lambda sig: _train_and_stop(tmp_path, modelfleet_script, clean_env, helpers_dir, sig)


def test_killing_the_runner_ends_its_fork_server_and_workers(stop_with: StopWith) -> None:
    stopped = stop_with(signal.SIGKILL)

    assert stopped.left == [], f"alive {EXIT_WITHIN_SECONDS}s after the runner died"


def test_sigterm_stops_like_ctrl_c_and_leaves_no_process(stop_with: StopWith) -> None:
    stopped = stop_with(signal.SIGTERM)

    assert (stopped.returncode, stopped.left) == (143, [])
    assert "terminated: finished tenants are saved" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    with modelfleet.connect(home=str(stopped.home), environ={}) as client:
        assert [f.status for f in client.fleet_runs()] == ["interrupted"]


def test_after_kill_9_the_run_shows_interrupted_and_the_next_train_continues_it(
    stop_with: StopWith,
    tmp_path: Path,
    modelfleet_script: Path,
    clean_env: Callable[..., dict[str, str]],
    helpers_dir: Path,
) -> None:
    stopped = stop_with(signal.SIGKILL)
    env = clean_env(MODELFLEET_HOME=str(stopped.home), PYTHONPATH=str(helpers_dir), COLUMNS="200")
    listed = subprocess.run(
        [str(modelfleet_script), "runs", "fleets", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    (crashed,) = [json.loads(line) for line in listed.stdout.splitlines()]
    spec_path = tmp_path / "demo" / "fleet.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    spec["model"]["params"]["seconds"] = 0.01
    spec_path.write_text(yaml.safe_dump(spec), encoding="utf-8")

    again = subprocess.run(
        [str(modelfleet_script), "train", str(spec_path), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert (crashed["status"], crashed["planned"], crashed["actor"] != "") == (
        "interrupted",
        3,
        True,
    )
    assert again.returncode == 0, again.stderr
    assert f"continued fleet run {crashed['id'][:8]}" in again.stdout
    with modelfleet.connect(home=str(stopped.home), environ={}) as client:
        runs = client.fleet_runs()
    assert [r.status for r in runs] == ["succeeded", "interrupted"]
    assert runs[0].succeeded + runs[0].rejected == 3
