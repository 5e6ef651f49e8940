"""The server's health, readiness and metrics endpoints, and its model cache."""

from __future__ import annotations

import time
from typing import Any

from modelfleet.registry.records import ModelVersion

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
