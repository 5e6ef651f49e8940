"""The control plane refuses a version whose artifact is damaged: 409, the message says why."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi.testclient import TestClient
from tests.unit.api.seed import FLEET, Seeded, run_id_for

S1 = f"/api/v1/models/{FLEET}/s1"


def _damage_s1(seeded: Seeded) -> None:
    digest = hashlib.sha256(run_id_for("s1").encode()).hexdigest()
    path = Path(seeded.settings.artifacts_url) / digest[:2] / digest
    path.write_bytes(b"changed on disk")


def test_resolving_a_damaged_version_answers_409_naming_model_and_version(
    api: TestClient, seeded: Seeded
) -> None:
    _damage_s1(seeded)
    response = api.get(f"{S1}/resolve/dev")
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "artifact checksum mismatch"
    assert f"model {FLEET}/s1 version 1.0.0: artifact 'model'" in body["detail"]


def test_the_card_of_a_damaged_version_answers_409(api: TestClient, seeded: Seeded) -> None:
    _damage_s1(seeded)
    response = api.get(f"{S1}/card", params={"alias": "dev"})
    assert response.status_code == 409
    assert "modelfleet doctor" in response.json()["detail"]
