"""``/api/v1/autopilot/actions``: listing, approving and rejecting autopilot steps over HTTP,
as the caller the server derives; bad ids, statuses and bodies are refused naming the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from modelfleet.client import Client
from modelfleet.store import open_store
from modelfleet.store.autopilot import NewActionRow

ACTIONS = "/api/v1/autopilot/actions"


def _add(seeded: Any, *rows: tuple[str, str, str, dict[str, Any]]) -> list[int]:
    """Store (tenant, kind, status, figures) actions; their ids, oldest first."""
    store = open_store(seeded.settings.store_url)
    try:
        store.add_autopilot_actions(
            [
                NewActionRow(
                    pass_id="p1",
                    fleet="demand",
                    environment="prod",
                    tenant=tenant,
                    kind=kind,
                    version="1.0.0",
                    status=status,
                    reason=f"{kind} of {tenant}",
                    figures=json.dumps(figures),
                    at=datetime(2026, 12, 1, tzinfo=UTC),
                    actor="autopilot",
                )
                for tenant, kind, status, figures in rows
            ]
        )
        return sorted(a.id for a in store.autopilot_actions(limit=None))
    finally:
        store.close()


@pytest.fixture
def pending(seeded: Any) -> list[int]:
    return _add(
        seeded,
        ("s1", "retrain", "done", {"candidate": "1.1.0"}),
        ("s1", "rollback", "pending", {"to": "prod"}),
        ("s3", "conclude", "pending", {"to": "staging", "registry_approval": True}),
    )


def test_actions_are_listed_newest_first_with_their_figures(api: Any, pending: list[int]) -> None:
    response = api.get(ACTIONS, params={"fleet": "demand"})

    assert response.status_code == 200
    body = response.json()
    assert [a["id"] for a in body] == sorted(pending, reverse=True)
    assert body[-1]["figures"] == {"candidate": "1.1.0"}


def test_a_status_filter_keeps_the_pending_steps(api: Any, pending: list[int]) -> None:
    body = api.get(ACTIONS, params={"status": "pending"}).json()

    assert [(a["tenant"], a["kind"]) for a in body] == [("s3", "conclude"), ("s1", "rollback")]


def test_approving_records_the_caller_the_server_derived(api: Any, pending: list[int]) -> None:
    response = api.post(f"{ACTIONS}/{pending[1]}/approve", json={"reason": "looked at it"})

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["decided_by"]) == ("approved", "server-user")
    assert body["reason"].endswith("approved by server-user: looked at it")


def test_approving_a_gated_promotion_records_the_registry_approval(
    api: Any, pending: list[int]
) -> None:
    api.post(f"{ACTIONS}/{pending[2]}/approve", json={})

    history = api.get("/api/v1/models/demand/s3/history").json()
    assert [(e["kind"], e["actor"]) for e in history][:1] == [("approved", "server-user")]


def test_rejecting_then_approving_the_same_step_is_refused(api: Any, pending: list[int]) -> None:
    assert api.post(f"{ACTIONS}/{pending[1]}/reject", json={}).status_code == 200

    again = api.post(f"{ACTIONS}/{pending[1]}/approve", json={})

    assert again.status_code == 422 and "is rejected, not pending" in again.text


def test_a_step_that_is_not_pending_cannot_be_approved(api: Any, pending: list[int]) -> None:
    response = api.post(f"{ACTIONS}/{pending[0]}/approve", json={})

    assert response.status_code == 422 and "is done, not pending" in response.text


def test_an_unknown_action_is_404(api: Any, pending: list[int]) -> None:
    response = api.post(f"{ACTIONS}/999999/approve", json={})

    assert response.status_code == 404 and "no autopilot action 999999" in response.text


@pytest.mark.parametrize("action_id", ["0", "-1", "abc", "1.5", "99999999999999999999"])
def test_a_bad_action_id_is_422(api: Any, action_id: str) -> None:
    assert api.post(f"{ACTIONS}/{action_id}/approve", json={}).status_code == 422


@pytest.mark.parametrize(
    ("params", "field"),
    [({"status": "sleeping"}, "status"), ({"limit": 0}, "limit"), ({"env": "../x"}, "env")],
)
def test_bad_list_filters_are_422_naming_the_field(
    api: Any, params: dict[str, Any], field: str
) -> None:
    response = api.get(ACTIONS, params=params)

    assert response.status_code == 422 and field in response.text


@pytest.mark.parametrize(
    "body", [{"actor": "mallory"}, {"reason": 5}, {"reason": "x" * 2001}, [], "approve"]
)
def test_a_bad_decision_body_is_422_and_decides_nothing(
    api: Any, pending: list[int], body: Any
) -> None:
    response = api.post(f"{ACTIONS}/{pending[1]}/approve", json=body)

    assert response.status_code == 422
    assert api.get(ACTIONS, params={"status": "pending"}).json()[-1]["id"] == pending[1]


def test_the_http_client_lists_and_decides_like_the_local_one(
    remote: Client, local: Client, pending: list[int]
) -> None:
    assert [a.id for a in remote.autopilot_actions(status="pending")] == [
        a.id for a in local.autopilot_actions(status="pending")
    ]

    decided = remote.reject_action(pending[1], reason="not now")

    assert (decided.status, decided.decided_by) == ("rejected", "server-user")
    assert local.autopilot_actions(status="rejected")[0].id == pending[1]


def test_the_actions_command_works_over_a_server_url(
    app: Any, pending: list[int], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    import sys

    from tests.unit.api.live import serve

    from modelfleet.cli.app import main

    with serve(app) as url:
        argv = ["modelfleet", "--url", url, "actions", "reject", str(pending[1])]
        monkeypatch.setattr(sys, "argv", argv)
        try:
            main()
        except SystemExit as exc:
            assert exc.code in (0, None)
        monkeypatch.setattr(sys, "argv", ["modelfleet", "--url", url, "actions", "list", "--json"])
        try:
            main()
        except SystemExit as exc:
            assert exc.code in (0, None)

    out = capsys.readouterr().out
    listed = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [a["id"] for a in listed] == sorted(pending, reverse=True)
    assert next(a for a in listed if a["id"] == pending[1])["decided_by"] == "server-user"
