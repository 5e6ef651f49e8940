"""Fixtures for the fault-injection suite: the console script, slow demo fleets, services the
tests own (a PostgreSQL database, a Redis server) and a watch over the processes a run starts.

Every fault test drives the installed ``modelfleet`` script in subprocesses, as cron or CI would,
so what it checks is what a user sees: the exit code, stderr, ``doctor``'s verdict, and the
records the next run leaves. A service a test breaks is its own (a database it created, a
Redis on a free port it started), so breaking it never touches other tests or other checkouts.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url
from tests.conftest import HELPERS
from tests.processes import alive, descendants

from modelfleet.data.demo import DemoData, generate_demo_data

REQUIRE_SERVICES_ENV = "MODELFLEET_REQUIRE_SERVICES"
# How long a process a run started may outlive it (the project's promise for workers).
EXIT_WITHIN_SECONDS = 5.0
COMMAND_TIMEOUT_SECONDS = 240


def service_unavailable(message: str) -> None:
    """Skip with ``message``, or fail when CI requires services (MODELFLEET_REQUIRE_SERVICES)."""
    if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
        pytest.fail(f"{message} ({REQUIRE_SERVICES_ENV}=1, so this is a failure)")
    pytest.skip(message)


# ---------------------------------------------------------------------------------------------
# Processes: what a command started, and whether any of it outlived the command
# ---------------------------------------------------------------------------------------------


@dataclass
class Running:
    """A console-script command started in the background, with every process seen below it."""

    process: subprocess.Popen[str]
    seen: set[int] = field(default_factory=set)

    def watch(self) -> None:
        """Remember the processes below the command now (call it while it runs)."""
        if Path("/proc/self/stat").exists():
            self.seen |= descendants(self.process.pid)

    def finish(self) -> Finished:
        """Wait for the command; then give what it started EXIT_WITHIN_SECONDS to end."""
        stdout, stderr = self.process.communicate(timeout=COMMAND_TIMEOUT_SECONDS)
        deadline = time.monotonic() + EXIT_WITHIN_SECONDS
        while any(alive(pid) for pid in self.seen) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = sorted(pid for pid in self.seen if alive(pid))
        for pid in left:  # never leave them behind, even when the test fails
            os.kill(pid, signal.SIGKILL)
        return Finished(self.process.returncode, stdout, stderr, left)

    def stop(self) -> None:
        """Kill the command if it still runs (a failed test's cleanup)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@dataclass(frozen=True)
class Finished:
    """How a background command ended, and the processes of its tree still alive after."""

    returncode: int
    stdout: str
    stderr: str
    orphans: list[int]


@dataclass
class Cli:
    """The installed ``modelfleet`` script with one home and environment for a whole test."""

    script: Path
    cwd: Path
    env: dict[str, str]
    started: list[Running] = field(default_factory=list)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a command to its end and return what it printed (never raises on exit codes)."""
        return subprocess.run(
            [str(self.script), *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
        )

    def start(self, *args: str) -> Running:
        """Start a command in the background (the test injects its fault meanwhile)."""
        process = subprocess.Popen(
            [str(self.script), *args],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        running = Running(process)
        self.started.append(running)
        return running

    def json_lines(self, *args: str) -> list[dict[str, Any]]:
        """A ``--json`` listing's objects; the command must succeed."""
        import json

        done = self.run(*args, "--json")
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]

    def doctor_after_repair(self) -> subprocess.CompletedProcess[str]:
        """``doctor``; if it finds something, ``doctor --repair`` and ``doctor`` again."""
        first = self.run("doctor")
        if first.returncode == 0:
            return first
        self.run("doctor", "--repair")
        return self.run("doctor")


@pytest.fixture(scope="session")
def modelfleet_script() -> Path:
    """The console script installed next to this interpreter."""
    script = Path(sys.executable).with_name("modelfleet")
    if not script.exists():
        pytest.fail(f"the modelfleet console script is not installed next to {sys.executable}")
    return script


@pytest.fixture
def cli(tmp_path: Path, modelfleet_script: Path) -> Iterator[Cli]:
    """The script on a fresh home in this test's tmp dir (this process's MODELFLEET_* ignored)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELFLEET_")}
    env.update(MODELFLEET_HOME=str(tmp_path / "home"), PYTHONPATH=str(HELPERS), COLUMNS="200")
    made = Cli(modelfleet_script, tmp_path, env)
    try:
        yield made
    finally:
        for running in made.started:
            running.stop()


# ---------------------------------------------------------------------------------------------
# Fleets: a small demo whose model sleeps, so a fault lands while the run is busy
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlowFleet:
    """A demo fleet whose every tenant passes the gate after ``seconds`` of fitting."""

    demo: DemoData
    markers: Path  # each fit drops a ``fit-*`` file here as it starts
    tenants: tuple[str, ...]

    @property
    def spec(self) -> str:
        return str(self.demo.spec_path)

    def fits_started(self) -> int:
        """How many fits have begun so far."""
        return sum(1 for p in self.markers.iterdir() if p.name.startswith("fit-"))


def make_slow_fleet(root: Path, stores: int, seconds: float) -> SlowFleet:
    """Write a ``stores``-store demo whose model sleeps ``seconds`` in fit and always passes."""
    demo = generate_demo_data(root / "demo", stores=stores, days=150, seed=0)
    markers = root / "markers"
    markers.mkdir()
    spec = yaml.safe_load(demo.spec_path.read_text(encoding="utf-8"))
    spec["model"] = {
        "family": "sklearn:modelfleet_test_families.SleepyMean",
        "params": {"seconds": seconds, "marker_dir": str(markers)},
    }
    # Every tenant registers a version: the gate lets anything within 100% of the baseline by.
    spec["gates"]["min_improvement"] = -1.0
    spec["tenants"]["overrides"].pop("1", None)  # its LightGBM params mean nothing here
    demo.spec_path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return SlowFleet(demo, markers, tuple(str(i) for i in range(1, stores + 1)))


@pytest.fixture
def slow_fleet(tmp_path: Path) -> Callable[[int, float], SlowFleet]:
    """``slow_fleet(stores, seconds)``: a demo fleet in this test's tmp dir with a sleepy model."""
    return lambda stores, seconds: make_slow_fleet(tmp_path, stores, seconds)


def wait_until(condition: Callable[[], bool], what: str, seconds: float = 60.0) -> None:
    """Poll ``condition`` every 20 ms; fail naming ``what`` if it stays false."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


# ---------------------------------------------------------------------------------------------
# PostgreSQL: a database of the test's own, so terminating its backends hits nobody else
# ---------------------------------------------------------------------------------------------


def libpq(url: str) -> str:
    """The URL in the form psycopg accepts (no SQLAlchemy ``+driver`` suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def own_postgres_database(postgres_server_url: str) -> Iterator[str]:
    """A store URL on a database created for this test (dropped, connections and all, after).

    A database, not a schema: ``pg_stat_activity.datname`` then names exactly this test's
    connections, so the test can terminate them without touching parallel tests.
    """
    import psycopg

    name = f"mf_fault_{uuid.uuid4().hex[:12]}"
    admin = libpq(postgres_server_url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres_server_url).set(database=name).render_as_string(False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------------------------
# Redis: a server of the test's own on a free port, which the test may kill and restart
# ---------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class OwnRedis:
    """A ``redis-server`` this test started (no persistence: a restart comes back empty)."""

    binary: str
    port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server on ``port`` and wait until it answers PING."""
        import redis

        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                *(self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""),
                *("--appendonly", "no", "--daemonize", "no", "--dir", str(self.folder)),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        try:
            wait_until(lambda: self._answers(client), f"redis-server answers on {self.port}", 15)
        finally:
            client.close()

    def _answers(self, client: Any) -> bool:
        import redis

        assert self.process is not None and self.process.poll() is None, "redis-server exited"
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        """SIGKILL the server (the one this fixture started, by its pid) and reap it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    """A running redis-server on a free port, owned by this test and killed after it."""
    try:
        import redis  # noqa: F401
    except ImportError as exc:
        service_unavailable(f"the redis package is not installed ({exc}); pip install -e '.[test]'")
    binary = shutil.which("redis-server")
    if binary is None:
        service_unavailable("redis-server is not installed (apt-get install redis-server)")
        raise AssertionError("unreachable")  # for the type checker: skip and fail both raise
    folder = tmp_path / "redis"
    folder.mkdir()
    server = OwnRedis(binary, free_port(), folder)
    server.start()
    try:
        yield server
    finally:
        server.kill()
