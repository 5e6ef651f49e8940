"""The prediction log's inputs column sealed at rest, on every backend: rows read back as
logged, rows from before encryption still read, altered or moved values are refused."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from modelfleet.crypto import KEYS_ENV, new_key_line
from modelfleet.errors import CiphertextRefused, EncryptionKeyMissing
from modelfleet.store import MetadataStore, open_store
from modelfleet.store.predictions import PredictionRow
from modelfleet.store.sealed_inputs import SEALED_PREFIX

from .conftest import T0

OLD, NEW = new_key_line("old"), new_key_line("new")
SECRET = '{"email":"planted-91ab@example.com","price":2.5}'


def _row(tenant: str = "a", inputs: str = SECRET) -> PredictionRow:
    return PredictionRow(
        f"r-{tenant}", 0, "demand", tenant, "prod", "1.0.0", "champion", T0, 1.0, inputs, 1.0, T0
    )


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv(KEYS_ENV, OLD)
    return monkeypatch


def _span(store: MetadataStore) -> list[str]:
    return store.prediction_columns("demand", "prod", T0, T0.replace(year=T0.year + 1)).inputs


def test_sealed_inputs_read_back_as_logged(store: MetadataStore, keyed: pytest.MonkeyPatch) -> None:
    store.add_predictions([_row("a"), _row("b")])

    assert _span(store) == [SECRET, SECRET]


def test_the_newest_rows_listing_reads_sealed_inputs(
    store: MetadataStore, keyed: pytest.MonkeyPatch
) -> None:
    store.add_predictions([_row("a")])

    assert store.list_predictions("demand", "a")[0].inputs == SECRET


def test_rows_logged_before_encryption_still_read(
    store: MetadataStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEYS_ENV, raising=False)
    store.add_predictions([_row("a", '{"price":1.0}')])
    monkeypatch.setenv(KEYS_ENV, OLD)
    store.add_predictions([_row("b")])

    assert _span(store) == ['{"price":1.0}', SECRET]


def test_after_rotation_rows_of_the_old_key_still_read(
    store: MetadataStore, keyed: pytest.MonkeyPatch
) -> None:
    store.add_predictions([_row("a")])
    keyed.setenv(KEYS_ENV, f"{NEW},{OLD}")
    store.add_predictions([_row("b")])

    assert _span(store) == [SECRET, SECRET]


def test_sealed_rows_without_their_key_name_the_tenant_and_key(
    store: MetadataStore, keyed: pytest.MonkeyPatch
) -> None:
    store.add_predictions([_row("a")])
    keyed.setenv(KEYS_ENV, NEW)

    with pytest.raises(EncryptionKeyMissing, match=r"demand/a .*key 'old'"):
        _span(store)


@pytest.fixture
def sqlite_store(sqlite_file_url: str, keyed: pytest.MonkeyPatch) -> Iterator[MetadataStore]:
    opened = open_store(sqlite_file_url)
    yield opened
    opened.close()


def _database(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def test_the_database_file_holds_only_sealed_inputs(
    sqlite_store: MetadataStore, sqlite_file_url: str
) -> None:
    sqlite_store.add_predictions([_row("a")])
    with sqlite3.connect(_database(sqlite_file_url)) as connection:
        (stored,) = connection.execute("SELECT inputs FROM predictions").fetchone()

    assert stored.startswith(SEALED_PREFIX) and "planted" not in stored


def _rewrite(url: str, change: str, *args: str) -> None:
    with sqlite3.connect(_database(url)) as connection:
        connection.execute(change, args)


def test_an_altered_sealed_value_is_refused(
    sqlite_store: MetadataStore, sqlite_file_url: str
) -> None:
    sqlite_store.add_predictions([_row("a")])
    with sqlite3.connect(_database(sqlite_file_url)) as connection:
        (stored,) = connection.execute("SELECT inputs FROM predictions").fetchone()
    flipped = stored[:-6] + ("A" if stored[-6] != "A" else "B") + stored[-5:]
    _rewrite(sqlite_file_url, "UPDATE predictions SET inputs = ?", flipped)

    with pytest.raises(CiphertextRefused, match="demand/a"):
        _span(sqlite_store)


def test_a_sealed_value_that_is_not_base64_is_refused(
    sqlite_store: MetadataStore, sqlite_file_url: str
) -> None:
    sqlite_store.add_predictions([_row("a")])
    _rewrite(sqlite_file_url, "UPDATE predictions SET inputs = ?", SEALED_PREFIX + "***")

    with pytest.raises(CiphertextRefused, match="not valid base64"):
        _span(sqlite_store)


def test_a_sealed_value_moved_to_another_tenants_row_is_refused(
    sqlite_store: MetadataStore, sqlite_file_url: str
) -> None:
    sqlite_store.add_predictions([_row("a"), replace(_row("b"), inputs='{"price":3}')])
    _rewrite(
        sqlite_file_url,
        "UPDATE predictions SET inputs = (SELECT inputs FROM predictions WHERE tenant = ?) "
        "WHERE tenant = ?",
        "a",
        "b",
    )

    with pytest.raises(CiphertextRefused, match="demand/b"):
        _span(sqlite_store)
