"""The client contract suite's fixtures: the same seeded home behind each plane.

``client`` is parametrised over the local plane (in process, as ``alice``) and the HTTP plane
(a real uvicorn server on 127.0.0.1 whose caller is ``server-user``); ``observer`` reads the
same home locally, so a test can check what a write left in the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.api.live import serve
from tests.unit.api.seed import Seeded, copy_seeded, seed_home

from modelfleet.api.app import create_app
from modelfleet.caller import Caller
from modelfleet.client import Client, LocalPlane

WRITERS = {"local": "alice", "http": "server-user"}


@pytest.fixture(scope="session")
def contract_template(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """One seeded home per session; each test works on a copy."""
    return seed_home(tmp_path_factory.mktemp("contract"))


@pytest.fixture
def home(contract_template: Seeded, tmp_path: Path) -> Seeded:
    """This test's own copy of the seeded home."""
    return copy_seeded(contract_template, tmp_path)


@pytest.fixture(params=["local", "http"])
def plane_kind(request: pytest.FixtureRequest) -> str:
    """Which plane the client under test runs over."""
    return str(request.param)


@pytest.fixture
def client(home: Seeded, plane_kind: str) -> Iterator[Client]:
    """A client over ``plane_kind`` on this test's home."""
    if plane_kind == "local":
        with Client(LocalPlane(home.settings, Caller(WRITERS["local"]))) as local:
            yield local
        return
    app = create_app(home.settings, [home.spec_path], server_user=WRITERS["http"])
    with serve(app) as url, Client.over_http(url) as remote:
        yield remote


@pytest.fixture
def writer(plane_kind: str) -> str:
    """Who the client's writes are recorded as."""
    return WRITERS[plane_kind]


@pytest.fixture
def observer(home: Seeded) -> Iterator[Client]:
    """A local client reading the same home (to check what writes left behind)."""
    with Client(LocalPlane(home.settings, Caller("observer"))) as local:
        yield local
