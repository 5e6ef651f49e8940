"""Store URLs: schemes map to drivers, unknown ones fail with a message naming what works."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelfleet.errors import StoreError
from modelfleet.store.urls import parse_store_url


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_postgresql_urls_use_the_psycopg3_driver(scheme: str) -> None:
    parsed = parse_store_url(f"{scheme}://me@db:5432/fleet")

    assert parsed.url.drivername == "postgresql+psycopg"


def test_an_unknown_scheme_names_the_url_and_the_supported_ones() -> None:
    with pytest.raises(StoreError) as raised:
        parse_store_url("mysql://me@db/fleet")

    message = str(raised.value)
    assert "'mysql://me@db/fleet'" in message
    assert "sqlite:///path/to/file.db" in message
    assert "postgresql://" in message


def test_an_unparsable_url_raises_store_error() -> None:
    with pytest.raises(StoreError, match="cannot be parsed"):
        parse_store_url("not a url")


def test_the_display_form_masks_the_password() -> None:
    parsed = parse_store_url("postgresql://me:s3cret@db/fleet")

    assert "s3cret" not in parsed.display
    assert parsed.display.startswith("postgresql://me:")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_sqlite_without_a_file_is_in_memory(url: str) -> None:
    parsed = parse_store_url(url)

    assert parsed.is_memory
    assert parsed.sqlite_path is None


def test_a_sqlite_file_url_gives_its_path() -> None:
    assert parse_store_url("sqlite:////data/mf.db").sqlite_path == Path("/data/mf.db")
