"""Registry writes over HTTP: promote, approve, roll back, aliases, archive, metadata, register."""

from __future__ import annotations

from typing import Any

from tests.unit.api.seed import FLEET, retrain, run_id_for

S1 = f"/api/v1/models/{FLEET}/s1"


def _promote(api: Any, model: str = S1, **body: Any) -> Any:
    return api.post(f"{model}/promote", json=body)


def test_promote_moves_a_passing_version_and_says_why(api: Any) -> None:
    response = _promote(api, environment="staging", reason="weekly release")

    assert response.status_code == 200, response.text
    outcome = response.json()
    assert (outcome["moved"], outcome["from_version"], outcome["to_version"]) == (
        True,
        None,
        "1.0.0",
    )
    assert api.get(f"{S1}/resolve/staging").json()["version"] == "1.0.0"


def test_a_body_naming_an_actor_is_refused_and_moves_nothing(api: Any) -> None:
    response = api.post(f"{S1}/promote", json={"environment": "staging", "actor": "bob"})

    assert response.status_code == 422
    assert "body.actor: unknown field" in response.json()["detail"]
    assert api.get(f"{S1}/resolve/staging").status_code == 404


def test_promote_records_the_caller_the_server_derived(api: Any) -> None:
    _promote(api, environment="staging", reason="weekly release")

    moves = [e for e in api.get(f"{S1}/history").json() if e["kind"] == "alias_set"]
    assert (moves[0]["alias"], moves[0]["actor"]) == ("staging", "server-user")
    assert moves[0]["reason"].startswith("weekly release")


def test_promote_refused_by_the_gate_is_an_outcome_not_an_error(api: Any) -> None:
    response = _promote(api, f"/api/v1/models/{FLEET}/s2", environment="staging")

    assert response.status_code == 200
    assert response.json()["moved"] is False
    assert response.json()["reason"]


def test_promote_skipping_an_environment_is_refused(api: Any) -> None:
    outcome = _promote(api, environment="prod").json()

    assert outcome["moved"] is False
    assert "staging" in outcome["reason"]


def test_promote_a_fleet_the_server_has_no_spec_for_is_404(api: Any) -> None:
    response = _promote(api, "/api/v1/models/other/s1", environment="dev")

    assert response.status_code == 404
    assert "--spec" in response.json()["detail"]


def test_fleet_promotion_reports_every_tenant(api: Any) -> None:
    batch = api.post(f"/api/v1/fleets/{FLEET}/promote", json={"environment": "staging"}).json()

    moved = {o["model"]: o["moved"] for o in batch["outcomes"]}
    assert moved == {f"{FLEET}/s1": True, f"{FLEET}/s2": False, f"{FLEET}/s3": True}
    assert batch["batch_id"]


def test_batch_rollback_undoes_the_fleet_promotion(api: Any) -> None:
    batch = api.post(f"/api/v1/fleets/{FLEET}/promote", json={"environment": "staging"}).json()

    response = api.post(f"/api/v1/batches/{batch['batch_id']}/rollback", json={"reason": "undo"})

    assert response.status_code == 200, response.text
    assert len(response.json()) == 2
    assert api.get(f"{S1}/resolve/staging").status_code == 404


def test_unknown_batch_is_404(api: Any) -> None:
    response = api.post("/api/v1/batches/" + "0" * 32 + "/rollback", json={})

    assert response.status_code == 404


def test_prod_waits_for_approval_then_moves(api: Any) -> None:
    _promote(api, environment="staging")
    waiting = _promote(api, environment="prod").json()

    approved = api.post(f"{S1}/approve", json={"version": "1.0.0", "environment": "prod"})
    moved = _promote(api, environment="prod").json()

    assert (waiting["moved"], waiting["pending_approval"]) == (False, True)
    assert approved.status_code == 200
    assert (approved.json()["kind"], approved.json()["actor"]) == ("approved", "server-user")
    assert moved["moved"] is True


def test_rollback_restores_the_previous_version(api: Any, seeded: Any) -> None:
    assert retrain(seeded, "s1", 0.15, 0.3) == "1.1.0"
    _promote(api, environment="dev", version="1.1.0")

    event = api.post(f"{S1}/rollback", json={"environment": "dev", "reason": "bad numbers"})

    assert event.status_code == 200, event.text
    assert (event.json()["from_version"], event.json()["to_version"]) == ("1.1.0", "1.0.0")
    assert api.get(f"{S1}/resolve/dev").json()["version"] == "1.0.0"


def test_rollback_with_nothing_to_undo_is_409(api: Any) -> None:
    response = api.post(f"{S1}/rollback", json={"environment": "prod"})

    assert response.status_code in (404, 409)
    assert response.json()["detail"]


def test_set_alias_needs_no_policy(api: Any) -> None:
    response = api.put(f"{S1}/aliases/champion", json={"version": "1.0.0"})

    assert response.status_code == 200, response.text
    assert api.get(f"{S1}/resolve/champion").json()["version"] == "1.0.0"


def test_archive_of_an_aliased_version_is_409(api: Any) -> None:
    response = api.post(f"{S1}/versions/1.0.0/archive", json={"reason": "old"})

    assert response.status_code == 409
    assert response.json()["error"] == "conflict"


def test_patch_tags_writes_a_patch_version(api: Any) -> None:
    response = api.patch(
        f"{S1}/versions/1.0.0", json={"tags": {"owner": "team-a"}, "description": "checked"}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == "1.0.1"
    assert body["tags"]["owner"] == "team-a"
    assert body["tags"]["customer"] == "acme"  # merged over the old tags
    assert body["description"] == "checked"


def test_register_a_rejected_run_is_refused(api: Any) -> None:
    response = api.post(f"/api/v1/runs/{run_id_for('s4')}/register", json={})

    assert response.status_code == 409
    assert "rejected" in response.json()["detail"]


def test_register_a_run_without_model_metadata_is_422(api: Any, seeded: Any) -> None:
    version_before = api.get(f"{S1}/latest").json()["version"]

    response = api.post(f"/api/v1/runs/{run_id_for('s1')}/register", json={})

    assert response.status_code == 422
    assert "model_meta" in response.json()["detail"]
    assert api.get(f"{S1}/latest").json()["version"] == version_before
