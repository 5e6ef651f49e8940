"""kill -9 of the runner at seeded random points, of its fork server, of a worker.

Each trial trains a small demo fleet through the installed console script with a model that
takes a little while per tenant, delivers the fault, and then checks what the morning after
must find: no process of the runner's tree alive, a store ``modelfleet doctor`` finds sound
(after ``--repair`` where the fault left a stale run), the next ``train`` finishing every
tenant, and exactly one version per tenant (nothing registered twice).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from tests.processes import alive, children, descendants

import modelfleet
from modelfleet.data.demo import DemoData, generate_demo_data

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc"),
]

STORES = 4
SEED = 20261207
TRIALS = 10
EXIT_WITHIN_SECONDS = 5.0


def fork_server_of(runner: int) -> int:
    """The fork server the runner started (its workers are forked from it, same cmdline)."""
    (server,) = [pid for pid in children().get(runner, []) if b"forkserver" in _cmdline(pid)]
    return server


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class Fleet:
    """A demo fleet, its home, and the console script to drive it with."""

    def __init__(self, root: Path, script: Path, env: dict[str, str], seconds: float) -> None:
        self.root, self.script, self.env = root, script, env
        self.markers = root / "markers"
        self.markers.mkdir()
        self.demo: DemoData = generate_demo_data(root / "demo", stores=STORES, days=150)
        spec = yaml.safe_load(self.demo.spec_path.read_text(encoding="utf-8"))
        spec["model"] = {
            "family": "sklearn:modelfleet_test_families.SleepyMean",
            "params": {"seconds": seconds, "marker_dir": str(self.markers)},
        }
        self.demo.spec_path.write_text(yaml.safe_dump(spec), encoding="utf-8")
        self.fleet_name = str(spec["name"])

    def start_train(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(self.script), "train", str(self.demo.spec_path), "--workers", "2"],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.script), *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def fits_started(self) -> int:
        return sum(1 for p in self.markers.iterdir() if p.name.startswith("fit-"))

    def wait_for_fits(self, count: int, process: subprocess.Popen[str]) -> None:
        deadline = time.monotonic() + 90
        while self.fits_started() < count:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the workers never started fitting"
            time.sleep(0.02)


@pytest.fixture
def fleet(
    tmp_path: Path,
    modelfleet_script: Path,
    clean_env: Callable[..., dict[str, str]],
    helpers_dir: Path,
) -> Callable[[float], Fleet]:
    env = clean_env(MODELFLEET_HOME=str(tmp_path / "home"), PYTHONPATH=str(helpers_dir))
    return lambda seconds: Fleet(tmp_path, modelfleet_script, env, seconds)


def kill_and_watch(process: subprocess.Popen[str]) -> list[int]:
    """SIGKILL the runner; the pids of its tree still alive a few seconds later."""
    tree = descendants(process.pid)
    process.kill()
    process.communicate(timeout=30)
    deadline = time.monotonic() + EXIT_WITHIN_SECONDS
    while any(alive(pid) for pid in tree) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = sorted(pid for pid in tree if alive(pid))
    for pid in left:  # never leave them behind, even when the test fails
        os.kill(pid, signal.SIGKILL)
    return left


def assert_the_morning_after(fleet: Fleet) -> None:
    """Doctor sound after its safe repairs, every tenant finished, one version each."""
    again = fleet.run("train", str(fleet.demo.spec_path), "--workers", "2")
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    repaired = fleet.run("doctor", "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    checked = fleet.run("doctor", "--json")
    assert checked.returncode == 0, checked.stdout
    assert json.loads(checked.stdout)["ok"] is True
    with modelfleet.connect(home=str(fleet.root / "home"), environ={}) as client:
        latest = client.fleet_runs()[0]
        versions = client.search(fleet=fleet.fleet_name, limit=None)
        finished = [r for r in client.runs(fleet=fleet.fleet_name) if r.status != "failed"]
    assert latest.status == "succeeded" and latest.left == 0
    assert len({r.tenant for r in finished}) == STORES  # every tenant trained once or more
    tenants = [v.tenant for v in versions]
    assert sorted(tenants) == sorted(set(tenants)), "a tenant was registered twice"
    assert len({v.run_id for v in versions}) == len(versions)


@pytest.mark.parametrize("trial", range(TRIALS))
def test_kill_9_of_the_runner_at_a_random_point(
    fleet: Callable[[float], Fleet], trial: int
) -> None:
    delay = random.Random(SEED + trial).uniform(0.0, 1.5)
    subject = fleet(0.4)
    process = subject.start_train()
    subject.wait_for_fits(1, process)  # the pool is up: the kill lands mid-run
    time.sleep(delay)

    left = kill_and_watch(process)

    assert left == [], f"trial {trial} (kill {delay:.2f}s after the first fit): alive {left}"
    assert_the_morning_after(subject)


def test_killing_the_fork_server_mid_run_retrains_its_tenants(
    fleet: Callable[[float], Fleet],
) -> None:
    subject = fleet(1.0)
    process = subject.start_train()
    subject.wait_for_fits(2, process)
    os.kill(fork_server_of(process.pid), signal.SIGKILL)
    _out, err = process.communicate(timeout=300)

    assert process.returncode == 0, err
    assert "Traceback" not in err and "Aborted" not in err
    assert_the_morning_after(subject)


def test_killing_a_worker_mid_fit_retrains_its_tenant(fleet: Callable[[float], Fleet]) -> None:
    subject = fleet(1.0)
    process = subject.start_train()
    subject.wait_for_fits(2, process)
    workers = children()[fork_server_of(process.pid)]

    os.kill(workers[0], signal.SIGKILL)
    _out, err = process.communicate(timeout=300)

    assert process.returncode == 0, err
    assert "Traceback" not in err
    with modelfleet.connect(home=str(subject.root / "home"), environ={}) as client:
        assert {r.status for r in client.runs()} <= {"succeeded", "rejected"}
    assert_the_morning_after(subject)
