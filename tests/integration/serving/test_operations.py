"""The server's health, readiness and metrics endpoints, and its model cache."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from modelfleet.registry.records import ModelVersion
from modelfleet.serving.request_log import JsonLines

from .conftest import Served


def test_healthz_answers_ok(served: Served) -> None:
    answer = served.http.get("/healthz")

    assert (answer.status_code, answer.json()["status"]) == (200, "ok")


def test_readyz_reports_the_environment_and_the_model_cache(
    served: Served, first: tuple[str, ModelVersion], path_of: Any, holdout_of: Any
) -> None:
    records = holdout_of(served.client, first[1]).records[:1]
    served.http.post(path_of(served.fleet, first[0]), json={"records": records})

    ready = served.http.get("/readyz").json()

    assert (ready["status"], ready["environment"]) == ("ready", "dev")
    assert ready["cache"]["models"] >= 1 and ready["cache"]["size_bytes"] > 0


def test_a_model_is_loaded_once_and_then_served_from_the_cache(
    served: Served, first: tuple[str, ModelVersion], path_of: Any, holdout_of: Any
) -> None:
    records = holdout_of(served.client, first[1]).records[:1]
    path = path_of(served.fleet, first[0])
    served.http.post(path, json={"records": records})
    before = served.http.get("/readyz").json()["cache"]

    for _ in range(3):
        served.http.post(path, json={"records": records})

    after = served.http.get("/readyz").json()["cache"]
    assert (after["loads"], after["hits"]) == (before["loads"], before["hits"] + 3)


def test_metrics_count_predictions_by_tenant_and_version(
    served: Served, first: tuple[str, ModelVersion], path_of: Any, holdout_of: Any
) -> None:
    tenant, version = first
    records = holdout_of(served.client, version).records[:2]
    served.http.post(path_of(served.fleet, tenant), json={"records": records})

    text = served.http.get("/metrics").text

    wanted = (
        f'modelfleet_predictions_total{{arm="champion",fleet="{served.fleet}",'
        f'tenant="{tenant}",version="{version.version}"}}'
    )
    line = next(line for line in text.splitlines() if line.startswith(wanted))
    assert float(line.split()[-1]) >= 2
    assert "modelfleet_request_seconds_bucket" in text
    assert "modelfleet_cache_loads_total" in text


def test_answered_predictions_reach_the_prediction_log(
    served: Served, first: tuple[str, ModelVersion], path_of: Any, holdout_of: Any
) -> None:
    tenant, version = first
    records = holdout_of(served.client, version).records[:5]
    served.http.post(
        path_of(served.fleet, tenant), json={"records": records}, headers={"X-Request-ID": "log-1"}
    )

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = [
            r
            for r in served.client_store.list_predictions(served.fleet, tenant)
            if r.request_id == "log-1"
        ]
        if len(rows) == 5:
            break
        time.sleep(0.05)

    assert sorted(r.position for r in rows) == [0, 1, 2, 3, 4]
    assert {r.version for r in rows} == {str(version.version)}
    assert "modelfleet_log_written_rows_total" in served.http.get("/metrics").text


def test_every_answer_carries_its_request_id_in_the_body_and_the_header(
    served: Served, first: tuple[str, ModelVersion], path_of: Any, holdout_of: Any
) -> None:
    records = holdout_of(served.client, first[1]).records[:1]

    answer = served.http.post(path_of(served.fleet, first[0]), json={"records": records})

    assert answer.headers["x-request-id"] == answer.json()["request_id"]


def test_each_request_is_logged_as_one_json_line_with_its_id_and_status(
    served: Served, path_of: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="modelfleet.serving.requests"):
        served.http.post(
            path_of(served.fleet, "nobody"), json={"records": [{}]}, headers={"X-Request-ID": "j-1"}
        )

    record = next(r for r in caplog.records if r.name == "modelfleet.serving.requests")
    line = json.loads(JsonLines().format(record))
    assert {k: line[k] for k in ("event", "request_id", "method", "status")} == {
        "event": "request",
        "request_id": "j-1",
        "method": "POST",
        "status": 404,
    }
    assert line["path"].endswith("/tenants/nobody/predict") and line["ms"] >= 0


def test_a_hostile_request_id_is_replaced_not_echoed(served: Served, path_of: Any) -> None:
    answer = served.http.post(
        path_of(served.fleet, "nobody"),
        json={"records": [{}]},
        headers={"X-Request-ID": "evil\tid" + "x" * 100},
    )

    assert len(answer.headers["x-request-id"]) == 32
