"""SQLite engine settings: WAL, busy timeout, durability level, foreign keys, write locking."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from modelfleet.errors import StoreError
from modelfleet.store.engine import build_engines
from modelfleet.store.urls import parse_store_url


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "dir" / "mf.db"


def _pragma(db_path: Path, name: str, query: str = "") -> object:
    read_engine, _ = build_engines(parse_store_url(f"sqlite:///{db_path}{query}"))
    try:
        with read_engine.connect() as connection:
            return connection.execute(text(f"PRAGMA {name}")).scalar()
    finally:
        read_engine.dispose()


def test_parent_folders_of_the_database_file_are_created(db_path: Path) -> None:
    _pragma(db_path, "user_version")

    assert db_path.exists()


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [
        ("journal_mode", "wal"),
        ("busy_timeout", 30_000),
        ("synchronous", 2),  # FULL: a commit survives power loss
        ("foreign_keys", 1),
    ],
)
def test_connections_are_configured(db_path: Path, pragma: str, expected: object) -> None:
    assert _pragma(db_path, pragma) == expected


@pytest.mark.parametrize(
    ("query", "expected"), [("?synchronous=normal", 1), ("?synchronous=FULL", 2)]
)
def test_the_store_url_chooses_the_synchronous_level(
    db_path: Path, query: str, expected: int
) -> None:
    assert _pragma(db_path, "synchronous", query) == expected


def test_an_unknown_synchronous_level_is_refused_naming_the_choices(db_path: Path) -> None:
    with pytest.raises(StoreError, match=r"synchronous='off'.*full.*normal"):
        build_engines(parse_store_url(f"sqlite:///{db_path}?synchronous=off"))


def test_a_write_transaction_holds_the_write_lock_from_its_start(db_path: Path) -> None:
    read_engine, write_engine = build_engines(parse_store_url(f"sqlite:///{db_path}"))
    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        # No statement runs inside the transaction: BEGIN IMMEDIATE alone took the lock.
        with write_engine.begin(), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()
        read_engine.dispose()


def test_reads_proceed_while_a_write_transaction_is_open(db_path: Path) -> None:
    read_engine, write_engine = build_engines(parse_store_url(f"sqlite:///{db_path}"))
    try:
        with write_engine.begin() as writer:
            writer.execute(text("CREATE TABLE t (x INTEGER)"))
            with read_engine.connect() as reader:
                assert reader.execute(text("SELECT 1")).scalar() == 1
    finally:
        read_engine.dispose()


def test_a_folder_that_cannot_be_created_raises_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("a file where the folder should go")

    with pytest.raises(StoreError, match="cannot create folder"):
        build_engines(parse_store_url(f"sqlite:///{blocker / 'mf.db'}"))
