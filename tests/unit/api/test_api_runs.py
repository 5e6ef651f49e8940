"""``/api/v1/runs`` and ``/api/v1/fleet-runs`` over a seeded home."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.api.seed import FLEET, run_id_for


@pytest.fixture
def api(read_only_api: Any) -> Any:
    """The session's shared app: every test here only reads (or is refused before writing)."""
    return read_only_api


def test_runs_lists_every_run_with_full_details(api: Any) -> None:
    response = api.get("/api/v1/runs")

    assert response.status_code == 200
    rows = response.json()
    assert {row["tenant"] for row in rows} == {"s1", "s2", "s3", "s4"}
    assert {"params", "lineage", "artifacts", "findings", "trials"} <= set(rows[0])


def test_runs_filter_by_status(api: Any) -> None:
    rows = api.get("/api/v1/runs", params={"status": "rejected"}).json()

    assert [(row["tenant"], row["reason"]) for row in rows] == [("s4", "worse than baseline")]


def test_runs_filter_by_tenant_and_limit(api: Any) -> None:
    assert [r["tenant"] for r in api.get("/api/v1/runs", params={"tenant": "s2"}).json()] == ["s2"]
    assert len(api.get("/api/v1/runs", params={"limit": 2}).json()) == 2


def test_run_by_prefix(api: Any) -> None:
    run_id = run_id_for("s1")

    response = api.get(f"/api/v1/runs/{run_id[:8]}")

    assert response.status_code == 200
    assert response.json()["run_id"] == run_id


def test_unknown_run_is_404_with_the_error_body(api: Any) -> None:
    response = api.get("/api/v1/runs/abcdef0123")

    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "not found"
    assert "abcdef0123" in body["detail"]


def test_fleet_runs_list_and_show(api: Any) -> None:
    listed = api.get("/api/v1/fleet-runs", params={"fleet": FLEET}).json()

    assert [(r["fleet"], r["status"], r["succeeded"], r["rejected"]) for r in listed] == [
        (FLEET, "succeeded", 3, 1)
    ]
    shown = api.get(f"/api/v1/fleet-runs/{listed[0]['id']}").json()
    assert shown == listed[0]


def test_healthz_names_the_store_and_the_served_fleets(api: Any) -> None:
    body = api.get("/healthz").json()

    assert body["status"] == "ok"
    assert body["store"] == "sqlite"
    assert body["fleets"] == [FLEET]


def test_openapi_docs_are_served(api: Any) -> None:
    schema = api.get("/openapi.json").json()

    assert "/api/v1/models/{fleet}/{tenant}/promote" in schema["paths"]
    assert api.get("/docs").status_code == 200
