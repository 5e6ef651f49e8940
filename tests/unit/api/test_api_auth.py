"""The control plane with auth on: every route needs a token, every answer follows the
caller's grants, and nothing about other tenants leaks through a 404-vs-403 difference.

The route table is walked from the app itself: every route must have an entry in
``ROUTE_ACTIONS`` (a route added without one fails here), every route but the health check
answers 401 without a token, and each route x role x scope answers 403 exactly when the role
lacks the route's action on that scope.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.unit.api.seed import FLEET, Seeded, copy_seeded

from modelfleet.api.app import create_app
from modelfleet.api.route_actions import ROUTE_ACTIONS
from modelfleet.governance.roles import ROLE_ACTIONS, ROLES
from modelfleet.governance.service import Authority
from modelfleet.store import open_store

SCOPES = {"everything": "*", "fleet": f"{FLEET}/*", "own tenant": f"{FLEET}/s1", "other": "x/*"}
# A body that gets each write past validation, so the answer is the policy's.
BODIES: dict[str, Any] = {
    "promote": {"environment": "staging"},
    "approve": {"version": "1.0.0", "environment": "prod"},
    "rollback": {"environment": "dev"},
    "aliases": {"version": "1.0.0"},
    "traffic": {"mode": "canary", "share": 0.1},
    "feedback": {"records": [{"tenant": "s1", "ts": "2026-11-01", "value": 1.0}]},
}


def _issue(seeded: Seeded) -> dict[str, str]:
    """A token per (role, scope) name, plus one principal with no grant at all."""
    store = open_store(seeded.settings.store_url)
    try:
        authority = Authority(store)
        found = {}
        for role in ROLES:
            for name, scope in SCOPES.items():
                principal = f"{role}-{name.replace(' ', '-')}"
                authority.grant(principal, role, scope, by="test")
                found[f"{role}/{name}"] = authority.create_token(principal, by="test").text
        found["nobody"] = authority.create_token("nobody", by="test").text
        return found
    finally:
        store.close()


@dataclass
class Secured:
    http: TestClient
    tokens: dict[str, str]


@contextmanager
def _secured(seeded: Seeded) -> Iterator[Secured]:
    tokens = _issue(seeded)
    settings = replace(seeded.settings, auth=True)
    app = create_app(settings, [seeded.spec_path], server_user="server-user")
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Secured(client, tokens)


@pytest.fixture(scope="module")
def shared(seeded_template: Seeded, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    """One auth-on app for the route walks (their answers do not depend on earlier writes:
    an allowed write may conflict or find nothing, never 401/403)."""
    with _secured(copy_seeded(seeded_template, tmp_path_factory.mktemp("auth"))) as made:
        yield made


@pytest.fixture
def secured(seeded: Seeded) -> Iterator[Secured]:
    """This test's own auth-on app over its own copy of the seeded home."""
    with _secured(seeded) as made:
        yield made


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _routes() -> list[tuple[str, str]]:
    from pathlib import Path

    from modelfleet.config.settings import Settings

    document = create_app(Settings.for_home(Path("never-opened"))).openapi()
    return sorted((m.upper(), p) for p, ops in document["paths"].items() for m in ops)


def _concrete(path: str) -> str:
    """A path of the seeded fleet: tenant s1, version 1.0.0, a real-looking run or id."""
    values = {
        "fleet": FLEET,
        "tenant": "s1",
        "version": "1.0.0",
        "alias": "dev",
        "environment": "dev",
        "run_id": "0" * 32,
        "fleet_run_id": "0" * 32,
        "batch_id": "0" * 32,
        "action_id": "1",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def _body(method: str, path: str) -> Any:
    if method == "GET":
        return None
    if method == "DELETE" or "/autopilot/" in path or "/batches/" in path:
        return {}
    if path.endswith("/versions/{version}") and method == "PATCH":
        return {"tags": {"checked": "yes"}}
    for key, body in BODIES.items():
        if key in path:
            return body
    return {}


def test_every_route_states_the_action_it_needs() -> None:
    assert set(_routes()) == set(ROUTE_ACTIONS)


@pytest.mark.parametrize(("method", "path"), _routes())
def test_every_route_but_health_needs_a_token(shared: Secured, method: str, path: str) -> None:
    answer = shared.http.request(method, _concrete(path), json=_body(method, path))

    expected = 200 if ROUTE_ACTIONS[(method, path)] is None else 401
    assert answer.status_code == expected, answer.text


@pytest.mark.parametrize(
    "header",
    [
        "Bearer nonsense",
        "Bearer mf_000000000000_" + "a" * 43,
        "Basic dXNlcjpwYXNz",
        "mf_000000000000_" + "a" * 43,
    ],
)
def test_a_malformed_forged_or_misplaced_token_is_401(shared: Secured, header: str) -> None:
    answer = shared.http.get("/api/v1/models", headers={"Authorization": header})

    assert answer.status_code == 401 and "Traceback" not in answer.text


@pytest.mark.parametrize(("method", "path"), [r for r in _routes() if ROUTE_ACTIONS[r]])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("scope", ["everything", "own tenant", "other"])
def test_each_route_role_and_scope_is_refused_exactly_when_the_role_lacks_the_action(
    shared: Secured, method: str, path: str, role: str, scope: str
) -> None:
    action = ROUTE_ACTIONS[(method, path)]
    assert action is not None
    # Routes acting on a whole fleet need a fleet scope; feedback acts on its records' tenants.
    fleet_wide = "{tenant}" not in path and any(
        k in path for k in ("/promote", "/batches/", "/fleet-runs", "/runs/{run_id}/register")
    )
    covered = scope == "everything" or (scope == "own tenant" and not fleet_wide)
    may = action in ROLE_ACTIONS[role] and covered

    token = shared.tokens[f"{role}/{scope}"]
    answer = shared.http.request(
        method, _concrete(path), json=_body(method, path), headers=_as(token)
    )

    if may:
        assert answer.status_code not in (401, 403), answer.text
    elif action == "read" and method == "GET":
        # A read outside the scope answers as if nothing were there (404, or an empty list).
        assert answer.status_code in (200, 404), answer.text
        if answer.status_code == 200 and isinstance(answer.json(), list):
            assert answer.json() == []
    else:
        assert answer.status_code in (403, 404), answer.text


def test_a_tenant_viewer_lists_only_its_own_models(secured: Secured) -> None:
    http, tokens = secured.http, secured.tokens
    listed = http.get("/api/v1/models", headers=_as(tokens["viewer/own tenant"])).json()

    assert {v["tenant"] for v in listed} == {"s1"}


def test_another_tenant_answers_exactly_like_a_missing_one(secured: Secured) -> None:
    http, tokens = secured.http, secured.tokens
    viewer = _as(tokens["viewer/own tenant"])

    hidden = http.get(f"/api/v1/models/{FLEET}/s2", headers=viewer)
    missing = http.get(f"/api/v1/models/{FLEET}/s99", headers=viewer)

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace("s2", "X") == missing.json()["detail"].replace(
        "s99", "X"
    )


def test_a_principal_without_grants_sees_nothing_and_may_do_nothing(secured: Secured) -> None:
    http, tokens = secured.http, secured.tokens
    nobody = _as(tokens["nobody"])

    assert http.get("/api/v1/models", headers=nobody).json() == []
    promote = http.post(
        f"/api/v1/models/{FLEET}/s1/promote", json={"environment": "staging"}, headers=nobody
    )
    assert promote.status_code == 403 and "nobody may not promote" in promote.json()["detail"]


def test_a_write_is_recorded_as_the_tokens_principal(secured: Secured) -> None:
    http, tokens = secured.http, secured.tokens
    operator = _as(tokens["operator/fleet"])

    moved = http.post(
        f"/api/v1/models/{FLEET}/s1/promote", json={"environment": "staging"}, headers=operator
    )
    history = http.get(f"/api/v1/models/{FLEET}/s1/history", headers=operator).json()

    assert moved.status_code == 200
    assert history[0]["actor"] == "operator-fleet"


def test_the_http_client_sends_its_token_and_reports_a_refusal_as_its_error(
    secured: Secured,
) -> None:
    from modelfleet.client import Client
    from modelfleet.errors import AuthenticationError, PermissionDeniedError

    viewer = Client.over_http(http=secured.http, token=secured.tokens["viewer/own tenant"])

    assert {v.tenant for v in viewer.search()} == {"s1"}
    with pytest.raises(PermissionDeniedError, match="may not rollback"):
        viewer.rollback(f"{FLEET}/s1", "dev")
    secured.http.headers.pop("Authorization")
    with pytest.raises(AuthenticationError, match="needs a token"):
        Client.over_http(http=secured.http, token="").search()
