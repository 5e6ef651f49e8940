"""Fixtures for the control plane: a seeded home, the app, a TestClient and clients over both."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette prefers httpx2 for its TestClient; httpx works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from fastapi import FastAPI
from tests.unit.api.seed import Seeded, copy_seeded, seed_home

from modelfleet.api.app import create_app
from modelfleet.caller import Caller
from modelfleet.client import Client, LocalPlane


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """One seeded home per session; tests work on copies."""
    return seed_home(tmp_path_factory.mktemp("seeded"))


@pytest.fixture
def seeded(seeded_template: Seeded, tmp_path: Path) -> Seeded:
    """This test's own copy of the seeded home."""
    return copy_seeded(seeded_template, tmp_path)


@pytest.fixture(scope="session")
def read_only_api(
    seeded_template: Seeded, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """One app for the whole session, for tests that never write (their modules say so)."""
    seeded = copy_seeded(seeded_template, tmp_path_factory.mktemp("read-only"))
    app = create_app(seeded.settings, [seeded.spec_path], server_user="server-user")
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def app(seeded: Seeded) -> FastAPI:
    """The control plane over the seeded home, applying the fleet's policy."""
    return create_app(seeded.settings, [seeded.spec_path], server_user="server-user")


@pytest.fixture
def api(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client of the app (in process, lifespan run)."""
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def remote(api: TestClient) -> Client:
    """A Client talking to the app through the TestClient."""
    return Client.over_http(http=api)


@pytest.fixture
def local(seeded: Seeded) -> Iterator[Client]:
    """A local Client on the same home."""
    with Client(LocalPlane(seeded.settings, Caller("alice"))) as client:
        yield client
