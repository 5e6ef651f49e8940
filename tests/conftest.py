"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

# ---------------------------------------------------------------------------------------------
# Databases: metadata store backends for contract tests
#
# ``store_url`` runs a test once per backend: SQLite file, in-memory SQLite and PostgreSQL.
# PostgreSQL comes from MODELFLEET_TEST_POSTGRES_URL (default below); when it is unreachable the
# PostgreSQL cases skip with the reason, unless MODELFLEET_REQUIRE_SERVICES=1 (CI), where they
# fail. Every PostgreSQL test gets its own schema, dropped afterwards, so parallel runs
# (pytest -n, two checkouts) never see each other's rows.
# ---------------------------------------------------------------------------------------------

POSTGRES_URL_ENV = "MODELFLEET_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
REQUIRE_SERVICES_ENV = "MODELFLEET_REQUIRE_SERVICES"


def _libpq_conninfo(url: str) -> str:
    """The URL in the form psycopg accepts (no SQLAlchemy ``+driver`` suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _service_unavailable(message: str) -> None:
    if os.environ.get(REQUIRE_SERVICES_ENV) == "1":
        pytest.fail(f"{message} ({REQUIRE_SERVICES_ENV}=1, so this is a failure)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """URL of the test PostgreSQL server, checked once per session; skips if unreachable."""
    import psycopg

    url = os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL
    try:
        with psycopg.connect(_libpq_conninfo(url), connect_timeout=3):
            pass
    except psycopg.Error as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _service_unavailable(
            f"PostgreSQL not reachable at {shown} ({reason}); start it or set {POSTGRES_URL_ENV}"
        )
    return url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A store URL on a fresh, empty schema of the test server; the schema is dropped after."""
    import psycopg

    schema = f"mf_test_{uuid.uuid4().hex[:16]}"
    conninfo = _libpq_conninfo(postgres_server_url)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    url = make_url(postgres_server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def sqlite_file_url(tmp_path: Path) -> str:
    """A store URL for a SQLite file in a not-yet-existing folder of the test's tmp dir."""
    return f"sqlite:///{tmp_path / 'home' / 'modelfleet.db'}"


@pytest.fixture(
    params=[
        pytest.param("sqlite-file"),
        pytest.param("sqlite-memory"),
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def store_url(request: pytest.FixtureRequest) -> str:
    """A fresh store URL, once per backend (each in-memory open is a new, empty database)."""
    return _backend_url(request, str(request.param))


@pytest.fixture(
    params=[
        pytest.param("sqlite-file"),
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
def durable_store_url(request: pytest.FixtureRequest) -> str:
    """A fresh store URL whose data outlives one connection: for reopen and multi-process tests."""
    return _backend_url(request, str(request.param))


def _backend_url(request: pytest.FixtureRequest, backend: str) -> str:
    if backend == "sqlite-memory":
        return "sqlite://"
    if backend == "sqlite-file":
        return str(request.getfixturevalue("sqlite_file_url"))
    return str(request.getfixturevalue("postgres_url"))


# ---------------------------------------------------------------------------------------------
# Redis: the online feature store's scale-out backend
#
# The server comes from MODELFLEET_TEST_REDIS_URL (default below); when it is unreachable (or
# the redis package is missing) Redis cases skip with the reason, unless
# MODELFLEET_REQUIRE_SERVICES=1 (CI), where they fail. Every test gets its own key prefix, and
# its keys are deleted afterwards, so parallel runs (pytest -n, two checkouts) never collide.
# ---------------------------------------------------------------------------------------------

REDIS_URL_ENV = "MODELFLEET_TEST_REDIS_URL"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def redis_server_url() -> str:
    """URL of the test Redis server, checked once per session; skips if unreachable."""
    from modelfleet.data.sql import mask_url

    url = os.environ.get(REDIS_URL_ENV) or DEFAULT_REDIS_URL
    try:
        import redis
    except ImportError as exc:
        _service_unavailable(
            f"the redis package is not installed ({exc}); pip install -e '.[test]'"
        )
    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        _service_unavailable(
            f"Redis not reachable at {mask_url(url)} ({reason}); start it or set {REDIS_URL_ENV}"
        )
    finally:
        client.close()
    return url


@pytest.fixture
def redis_url(redis_server_url: str) -> Iterator[str]:
    """An online store URL with its own fresh key prefix; the keys are deleted afterwards."""
    import redis

    prefix = f"mf_test_{uuid.uuid4().hex[:16]}:"
    separator = "&" if "?" in redis_server_url else "?"
    try:
        yield f"{redis_server_url}{separator}prefix={prefix}"
    finally:
        client = redis.Redis.from_url(redis_server_url, socket_connect_timeout=3)
        try:
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            for start in range(0, len(keys), 500):
                client.unlink(*keys[start : start + 500])
        finally:
            client.close()


# ---------------------------------------------------------------------------------------------
# Subprocess tests (e2e, faults): a clean environment and the test model families' folder
# ---------------------------------------------------------------------------------------------

HELPERS = Path(__file__).resolve().parent / "integration" / "pipeline" / "helpers"


@pytest.fixture(scope="session")
def clean_env() -> Callable[..., dict[str, str]]:
    """``clean_env(**extra)``: this process's environment without MODELFLEET_* plus ``extra``."""

    def build(**extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODELFLEET_")}
        env.update(extra)
        return env

    return build


@pytest.fixture(scope="session")
def helpers_dir() -> Path:
    """The folder holding ``modelfleet_test_families`` (put it on PYTHONPATH)."""
    return HELPERS
