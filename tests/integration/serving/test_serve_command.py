"""``modelfleet serve`` as users start it: the console script, real uvicorn processes, HTTP.

The demo fleet is trained and promoted to dev by the module's ``served`` fixture; the command
serves that home's dev models with two worker processes, answers over real HTTP, and stops
cleanly on SIGTERM.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Served

STARTUP_SECONDS = 60.0


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


@dataclass
class Running:
    url: str
    process: subprocess.Popen[str]


@pytest.fixture(scope="module")
def running(served: Served) -> Iterator[Running]:
    """``modelfleet serve fleet.yaml --env dev --workers 2 --port P`` in a subprocess."""
    port = _free_port()
    command = [str(_script()), "serve", str(served.demo.spec_path), "--env", "dev"]
    process = subprocess.Popen(
        [*command, "--workers", "2", "--port", str(port), "--log-level", "warning"],
        env=_environment(served.client.settings.home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: a fallback kill reaches the workers
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                _stop(process)
                _, err = process.communicate(timeout=5)
                pytest.fail(f"modelfleet serve did not start: {err}")
            time.sleep(0.1)
        yield Running(url, process)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[str]) -> None:
    """Stop the server as an operator would (SIGTERM: uvicorn stops its workers), and kill
    its whole process group only if it does not stop. A SIGKILL of the parent alone (as on an
    xdist worker that ran this module's other tests) left its worker processes running."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_every_tenant_answers_over_http_with_the_in_process_predictions(
    served: Served, running: Running, path_of: Any, holdout_of: Any
) -> None:
    with httpx.Client(base_url=running.url, timeout=30) as http:
        for tenant in served.tenants:
            version = served.client.resolve(f"{served.fleet}/{tenant}@dev")
            records = holdout_of(served.client, version).records
            body = {"records": records}

            remote = http.post(path_of(served.fleet, tenant), json=body)
            local = served.http.post(path_of(served.fleet, tenant), json=body)

            assert remote.status_code == 200, remote.text
            assert remote.json()["predictions"] == local.json()["predictions"]


def test_a_fleet_the_command_was_not_given_is_a_404_saying_what_is_served(
    running: Running, served: Served
) -> None:
    answer = httpx.post(
        f"{running.url}/v1/fleets/other-fleet/tenants/1/predict", json={"records": [{}]}
    )

    assert answer.status_code == 404
    assert served.fleet in answer.json()["detail"]


def test_an_environment_that_reads_as_a_version_stops_the_command_before_it_serves(
    served: Served, tmp_path: Path
) -> None:
    done = subprocess.run(
        [str(_script()), "serve", str(served.demo.spec_path), "--env", "1.2"],
        env=_environment(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert "looks like a version number" in done.stderr
    assert "Traceback" not in done.stderr


def test_sigterm_stops_the_workers_after_logging_every_answered_prediction(
    served: Served, running: Running, path_of: Any, holdout_of: Any
) -> None:
    tenant = served.tenants[0]
    version = served.client.resolve(f"{served.fleet}/{tenant}@dev")
    records = holdout_of(served.client, version).records[:4]
    ids = [f"sigterm-{number}" for number in range(40)]
    with httpx.Client(base_url=running.url, timeout=30) as http:
        for request_id in ids:
            answer = http.post(
                path_of(served.fleet, tenant),
                json={"records": records},
                headers={"X-Request-ID": request_id},
            )
            assert answer.status_code == 200

    running.process.send_signal(signal.SIGTERM)

    assert running.process.wait(timeout=30) == 0
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{running.url}/healthz", timeout=2)
    logged = served.client_store.list_predictions(served.fleet, tenant, limit=100_000)
    mine = [row for row in logged if row.request_id in set(ids)]
    assert len(mine) == len(ids) * len(records)
    assert {(row.request_id, row.position) for row in mine} == {
        (request_id, position) for request_id in ids for position in range(len(records))
    }
