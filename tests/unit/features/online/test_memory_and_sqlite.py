"""Backend specifics the contract suite does not cover: URLs, memory sharing, SQLite layout."""

from __future__ import annotations

import sqlite3
import sys
import uuid
from pathlib import Path

import pyarrow as pa
import pytest

from modelfleet.errors import ConfigError, FeatureError, OnlineStoreError
from modelfleet.features.online import (
    MemoryOnlineStore,
    OnlineRow,
    SQLiteOnlineStore,
    ViewKey,
    open_online_store,
)
from modelfleet.features.online.sqlite import table_name

VIEW = ViewKey("sales", "1")


def one_row(key: str = "a", ts: int = 1, **features: object) -> pa.Table:
    return pa.table(
        {"__entity_key": [key], "__event_ts": [ts], **{k: [v] for k, v in features.items()}}
    )


# --- open_online_store ---------------------------------------------------------------------------


def test_a_bare_path_is_a_sqlite_file_and_its_folders_are_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "online.db"

    store = open_online_store(str(path))

    assert isinstance(store, SQLiteOnlineStore)
    assert path.exists()
    store.close()


def test_a_sqlite_url_follows_the_sqlalchemy_slash_convention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    relative = open_online_store("sqlite:///rel/online.db")
    absolute = open_online_store(f"sqlite:///{tmp_path / 'abs' / 'online.db'}")

    assert (tmp_path / "rel" / "online.db").exists()
    assert (tmp_path / "abs" / "online.db").exists()
    assert absolute.url == f"sqlite:///{tmp_path / 'abs' / 'online.db'}"
    relative.close()
    absolute.close()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite://host/x.db"])
def test_a_sqlite_url_without_a_file_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="names no file"):
        open_online_store(url)


def test_a_sqlite_url_with_options_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="remove them"):
        open_online_store(f"sqlite:///{tmp_path}/x.db?timeout=5")


def test_an_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as raised:
        open_online_store("cassandra://db/features")

    message = str(raised.value)
    assert "'cassandra'" in message
    for scheme in ("memory", "redis", "rediss", "sqlite"):
        assert scheme in message


def test_an_unknown_scheme_with_credentials_does_not_echo_them() -> None:
    with pytest.raises(ConfigError) as raised:
        open_online_store("dynamo://user:hunter22@host/x")

    assert "hunter22" not in str(raised.value)


def test_an_empty_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="empty online store URL"):
        open_online_store("  ")


def test_redis_without_its_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "modelfleet.features.online.redis", raising=False)
    monkeypatch.setitem(sys.modules, "redis", None)

    with pytest.raises(ConfigError, match=r"pip install 'modelfleet\[redis\]'"):
        open_online_store("redis://127.0.0.1:6379/0")


# --- memory:// -----------------------------------------------------------------------------------


def test_named_memory_stores_share_data_and_unnamed_ones_do_not() -> None:
    name = f"unit-{uuid.uuid4().hex}"
    first, second = open_online_store(f"memory://{name}"), MemoryOnlineStore(name)
    private, other_private = open_online_store("memory://"), MemoryOnlineStore()

    first.write(VIEW, one_row(x=1))
    private.write(VIEW, one_row(x=2))

    assert second.read(VIEW, ["x"], ["a"]) == [OnlineRow(1, (1,))]
    assert other_private.read(VIEW, ["x"], ["a"]) == [None]
    assert private.read(VIEW, ["x"], ["a"]) == [OnlineRow(1, (2,))]
    first.close()
    assert second.read(VIEW, ["x"], ["a"]) == [OnlineRow(1, (1,))]
    assert first.url == f"memory://{name}"
    second.drop(VIEW)


# --- SQLite layout -------------------------------------------------------------------------------


def test_each_view_version_gets_its_own_typed_without_rowid_table(tmp_path: Path) -> None:
    path = tmp_path / "online.db"
    store = SQLiteOnlineStore(path)
    hostile = ViewKey('x"; DROP TABLE online_views; --', "1")
    store.write(hostile, one_row(i=1, f=0.5, b=True, s="t"))
    store.write(ViewKey("other", "1"), one_row(i=1))

    with sqlite3.connect(path) as raw:
        tables = dict(raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
        mode = raw.execute("PRAGMA journal_mode").fetchone()[0]
    store.close()

    assert set(tables) == {"online_views", table_name(hostile), table_name(ViewKey("other", "1"))}
    ddl = tables[table_name(hostile)]
    assert "entity_key TEXT PRIMARY KEY, event_ts INTEGER NOT NULL" in ddl
    assert "f0 INTEGER, f1, f2 INTEGER, f3 TEXT" in ddl
    assert "WITHOUT ROWID" in ddl
    assert "DROP" not in ddl and "DROP" not in tables["online_views"]
    assert mode == "wal"


def test_data_survives_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "online.db"
    store = SQLiteOnlineStore(path)
    store.write(VIEW, one_row(b=False))
    store.set_watermark(VIEW, 7)
    store.close()

    reopened = SQLiteOnlineStore(path)
    assert reopened.read(VIEW, ["b"], ["a"]) == [OnlineRow(1, (False,))]
    assert reopened.views()[0].watermark == 7
    reopened.close()


def test_a_cached_view_follows_a_drop_and_redefinition_by_another_store(tmp_path: Path) -> None:
    path = tmp_path / "online.db"
    reader, writer = SQLiteOnlineStore(path), SQLiteOnlineStore(path)
    writer.write(VIEW, one_row(x=1, flag=True))
    assert reader.read(VIEW, ["flag", "x"], ["a"]) == [OnlineRow(1, (True, 1))]

    writer.drop(VIEW)
    writer.write(VIEW, one_row(flag="now a string", x=2.5, extra=3))

    assert reader.read(VIEW, ["flag", "x", "extra"], ["a"]) == [
        OnlineRow(1, ("now a string", 2.5, 3))
    ]
    writer.drop(VIEW)
    with pytest.raises(FeatureError):
        writer.write(VIEW, pa.table({"__entity_key": ["a"]}))
    assert reader.read(VIEW, ["x"], ["a"]) == [None]
    reader.close()
    writer.close()


def test_a_failed_write_leaves_no_partial_rows(tmp_path: Path) -> None:
    store = SQLiteOnlineStore(tmp_path / "online.db")
    store.write(VIEW, one_row(x=1))
    with sqlite3.connect(tmp_path / "online.db") as raw:
        raw.execute(
            f'CREATE TRIGGER boom BEFORE UPDATE ON "{table_name(VIEW)}" '
            "BEGIN SELECT RAISE(ABORT, 'boom'); END"
        )

    with pytest.raises(OnlineStoreError, match="boom"):
        store.write(
            VIEW, pa.table({"__entity_key": ["new", "a"], "__event_ts": [1, 2], "x": [5, 6]})
        )

    assert store.read(VIEW, ["x"], ["new", "a"]) == [None, OnlineRow(1, (1,))]
    assert store.views()[0].rows == 1
    store.close()


def test_an_unwritable_location_is_an_online_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")

    with pytest.raises(OnlineStoreError, match="cannot open the SQLite online store"):
        SQLiteOnlineStore(blocker / "online.db")


def test_many_key_counts_reuse_a_bounded_set_of_statements(tmp_path: Path) -> None:
    store = SQLiteOnlineStore(tmp_path / "online.db")
    keys = [f"k{i}" for i in range(2000)]
    store.write(VIEW, pa.table({"__entity_key": keys, "__event_ts": [1] * 2000, "x": range(2000)}))

    for count in range(1, 2001, 7):
        rows = store.read(VIEW, ["x"], keys[:count])
        assert [row.values[0] for row in rows if row] == list(range(count))

    assert len(store._sql) <= 11
    store.close()
