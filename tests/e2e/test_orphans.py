"""``kill -9`` of ``modelfleet train`` while workers fit: every process it started exits too.

Every store trains with a model that sleeps 60 s in ``fit``, so the kill lands while workers are
busy; the test then watches the whole process tree the runner had (fork server and workers).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from modelfleet.data.demo import generate_demo_data

pytestmark = pytest.mark.slow

EXIT_WITHIN_SECONDS = 5.0


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids, read from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_killing_the_runner_ends_its_fork_server_and_workers(
    tmp_path: Path,
    modelfleet_script: Path,
    clean_env: Callable[..., dict[str, str]],
    helpers_dir: Path,
) -> None:
    demo = generate_demo_data(tmp_path / "demo", stores=3, days=150)
    spec = yaml.safe_load(demo.spec_path.read_text(encoding="utf-8"))
    markers = tmp_path / "markers"
    markers.mkdir()
    spec["model"] = {
        "family": "sklearn:modelfleet_test_families.SleepyMean",
        "params": {"seconds": 60.0, "marker_dir": str(markers)},
    }
    demo.spec_path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    env = clean_env(MODELFLEET_HOME=str(tmp_path / "home"), PYTHONPATH=str(helpers_dir))
    process = subprocess.Popen(
        [str(modelfleet_script), "train", str(demo.spec_path), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while len(list(markers.iterdir())) < 2:  # both workers are inside fit
            assert time.monotonic() < deadline, "the workers never started fitting"
            time.sleep(0.05)
        started = _descendants(process.pid)
        assert len(started) >= 3  # the fork server and two workers at least

        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        deadline = time.monotonic() + EXIT_WITHIN_SECONDS
        while any(_alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.1)

        left = sorted(pid for pid in started if _alive(pid))
    finally:
        if process.poll() is None:
            process.kill()
        for pid in _descendants(process.pid) if process.poll() is None else ():
            os.kill(pid, signal.SIGKILL)
    assert left == [], f"still running {EXIT_WITHIN_SECONDS}s after the runner died: {left}"
