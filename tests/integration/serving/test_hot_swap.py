"""An alias move is served within two seconds while requests keep flowing, none failing.

Real uvicorn in a thread, real HTTP from eight client threads; the alias moves in the store
(as any other process would move it) while they send.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import yaml
from tests.unit.api.live import serve

import modelfleet
from modelfleet.data.demo import generate_demo_data
from modelfleet.pipeline.executors import InlineExecutor
from modelfleet.serving.app import create_app

from .conftest import holdout_records

TENANT = "1"
SWAP_DEADLINE_SECONDS = 2.0


@pytest.fixture(scope="module")
def swapping(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[modelfleet.Client, str, str]]:
    """A one-tenant fleet with versions 1.0.0 and 1.1.0; dev on 1.0.0; served over HTTP."""
    root = tmp_path_factory.mktemp("swap")
    demo = generate_demo_data(root / "demo", stores=3, days=200, seed=1)
    spec = yaml.safe_load(demo.spec_path.read_text())
    spec["tenants"] = {"include": [TENANT]}
    spec["model"]["pooled"] = False
    demo.spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    with modelfleet.connect(home=str(root / "home"), environ={}) as client:
        first = client.train(demo.spec_path, "dev", executor=InlineExecutor())
        client.train(
            demo.spec_path, "dev", executor=InlineExecutor(), force=True, allow_identical=True
        )
        model = f"{first.fleet}/{TENANT}"
        client.set_alias(model, "dev", "1.0.0", reason="start of the swap test")
        with serve(create_app(client.settings, "dev")) as url:
            yield client, url, model


def test_an_alias_moved_under_load_is_served_within_two_seconds_with_no_failed_request(
    swapping: tuple[modelfleet.Client, str, str],
) -> None:
    client, url, model = swapping
    records = holdout_records(client, client.resolve(f"{model}@dev")).records[:3]
    path = f"/v1/fleets/{model.split('/')[0]}/tenants/{TENANT}/predict"
    stop = threading.Event()
    answers: list[tuple[float, int, str]] = []  # (time, status, version)
    lock = threading.Lock()

    def send() -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            while not stop.is_set():
                answer = http.post(path, json={"records": records})
                version = answer.json().get("version", "") if answer.status_code == 200 else ""
                with lock:
                    answers.append((time.monotonic(), answer.status_code, version))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(answers) < 50 and time.monotonic() < deadline:  # warm: the model is loaded
        time.sleep(0.05)
    moved_at = time.monotonic()
    client.set_alias(model, "dev", "1.1.0", reason="hot swap under load")
    time.sleep(SWAP_DEADLINE_SECONDS + 0.5)
    stop.set()
    for thread in threads:
        thread.join()

    assert answers and all(status == 200 for _, status, _ in answers)
    late = [version for at, _, version in answers if at > moved_at + SWAP_DEADLINE_SECONDS]
    assert late and set(late) == {"1.1.0"}
    assert {version for at, _, version in answers if at < moved_at} == {"1.0.0"}
