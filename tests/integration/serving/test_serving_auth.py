"""The prediction server with auth on: a tenant's token scores its own tenant only; no token,
a bad one or a revoked one is 401, before anything about the tenant is looked up."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.integration.serving.conftest import Served

from modelfleet.config.spec import load_spec
from modelfleet.governance.service import Authority
from modelfleet.registry.records import ModelVersion
from modelfleet.serving.app import create_app


@dataclass
class Guarded:
    http: TestClient
    own: str  # a viewer token scoped to the first tenant
    fleet_wide: str  # an operator token over the whole fleet
    authority: Authority


@pytest.fixture(scope="module")
def guarded(served: Served) -> Iterator[Guarded]:
    authority = Authority(served.client_store)
    tenant = served.tenants[0]
    authority.grant("acme-scorer", "viewer", f"{served.fleet}/{tenant}", by="test")
    authority.grant("ops", "operator", f"{served.fleet}/*", by="test")
    own = authority.create_token("acme-scorer", kind="service", by="test").text
    ops = authority.create_token("ops", by="test").text
    settings = replace(served.client.settings, auth=True)
    spec = load_spec(served.demo.spec_path, "dev")
    app = create_app(settings, "dev", specs=[spec])
    with TestClient(app, raise_server_exceptions=False) as http:
        yield Guarded(http, own, ops, authority)


def _predict(guarded: Guarded, served: Served, tenant: str, token: str | None, records: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    path = f"/v1/fleets/{served.fleet}/tenants/{tenant}/predict"
    return guarded.http.post(path, json={"records": records}, headers=headers)


def test_a_tenants_token_scores_its_own_tenant(
    guarded: Guarded, served: Served, first: tuple[str, ModelVersion], holdout_of: Any
) -> None:
    tenant, version = first
    record = holdout_of(served.client, version).records[0]

    answer = _predict(guarded, served, tenant, guarded.own, [record])

    assert answer.status_code == 200, answer.text


def test_a_tenants_token_may_not_score_another_tenant_existing_or_not(
    guarded: Guarded, served: Served
) -> None:
    other = _predict(guarded, served, served.tenants[1], guarded.own, [{}])
    missing = _predict(guarded, served, "no-such-store", guarded.own, [{}])

    assert other.status_code == missing.status_code == 403
    assert "acme-scorer may not predict" in other.json()["detail"]


def test_a_fleet_wide_token_reaches_every_tenant(guarded: Guarded, served: Served) -> None:
    answer = _predict(guarded, served, served.tenants[1], guarded.fleet_wide, [{}])

    assert answer.status_code not in (401, 403)


@pytest.mark.parametrize("token", [None, "nonsense", "mf_000000000000_" + "a" * 43])
def test_no_token_or_a_bad_one_is_401(guarded: Guarded, served: Served, token: str | None) -> None:
    assert _predict(guarded, served, served.tenants[0], token, [{}]).status_code == 401


def test_a_revoked_token_stops_scoring_within_a_second(guarded: Guarded, served: Served) -> None:
    issued = guarded.authority.create_token("ops", by="test")
    assert _predict(guarded, served, served.tenants[1], issued.text, [{}]).status_code != 401

    guarded.authority.revoke_token(issued.record.id)
    time.sleep(1.1)  # the gate keeps a token's verdict for a second

    assert _predict(guarded, served, served.tenants[1], issued.text, [{}]).status_code == 401
