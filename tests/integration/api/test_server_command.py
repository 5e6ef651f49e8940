"""``modelfleet server`` as users start it: the console script, a port, and fleet specs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.unit.api.seed import FLEET, Seeded, seed_home

from modelfleet.client import Client

STARTUP_SECONDS = 30.0


def _script() -> Path:
    script = Path(sys.executable).with_name("modelfleet")
    if not script.exists():
        pytest.skip(f"the modelfleet console script is not installed next to {sys.executable}")
    return script


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(home: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MODELFLEET_")}
    return {**base, "MODELFLEET_HOME": str(home)}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """A seeded registry home."""
    return seed_home(tmp_path_factory.mktemp("server-command"))


@pytest.fixture(scope="module")
def server_url(seeded: Seeded) -> Iterator[str]:
    """``modelfleet server --port P --spec fleet.yaml`` running in a subprocess."""
    port = _free_port()
    process = subprocess.Popen(
        [str(_script()), "server", "--port", str(port), "--spec", str(seeded.spec_path)],
        env=_environment(seeded.home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                _, err = process.communicate(timeout=5)
                pytest.fail(f"modelfleet server did not start: {err}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_server_serves_the_home_and_the_specs_it_was_given(server_url: str) -> None:
    with Client.over_http(server_url) as client:
        assert client.info().fleets == (FLEET,)
        assert len(client.search(fleet=FLEET)) == 3


def test_the_server_answers_openapi_docs(server_url: str) -> None:
    assert httpx.get(f"{server_url}/docs", timeout=5).status_code == 200


def test_a_missing_spec_stops_the_command_before_it_serves(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(_script()), "server", "--spec", str(tmp_path / "none.yaml")],
        env=_environment(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
