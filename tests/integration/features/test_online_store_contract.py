"""One contract for every online store backend: memory://, a SQLite file and Redis."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from modelfleet.errors import FeatureError, OnlineStoreError
from modelfleet.features.online import (
    OnlineRow,
    OnlineStore,
    ViewKey,
    open_online_store,
)

VIEW = ViewKey("sales", "1")
HOSTILE = [
    'quote"d',
    "semi; DROP TABLE online_views; --",
    "with space",
    "ünïcødé 😀",
    "colon:and:more",
    "glob*?[x]\\",
    "percent%3A",
]


@pytest.fixture(params=["memory", "sqlite", "redis"])
def online_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty online store URL, once per backend."""
    if request.param == "memory":
        return f"memory://contract-{uuid.uuid4().hex}"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'not-yet' / 'online.db'}"
    return str(request.getfixturevalue("redis_url"))


@pytest.fixture
def online_store(online_url: str) -> Iterator[OnlineStore]:
    """An open store on each backend, closed (and emptied) after the test."""
    store = open_online_store(online_url)
    try:
        yield store
    finally:
        if online_url.startswith("memory://"):
            for view in store.views():
                store.drop(ViewKey(view.name, view.version))
        store.close()


def table(keys: Sequence[str], stamps: Sequence[int], **features: Sequence[Any]) -> pa.Table:
    """A write table: entity keys, event times, then feature columns (types inferred)."""
    return pa.table(
        {
            "__entity_key": pa.array(keys, pa.string()),
            "__event_ts": pa.array(stamps, pa.int64()),
            **features,
        }
    )


def values(rows: Sequence[OnlineRow | None]) -> list[tuple[Any, ...] | None]:
    return [None if row is None else row.values for row in rows]


def test_write_then_read_gives_exact_values_and_types_in_the_asked_order(
    online_store: OnlineStore,
) -> None:
    data = table(
        ["a", "b", "c"],
        [1_700_000_000_000_000, -5, 0],
        f=pa.array([0.1 + 0.2, 1e308, -0.0], pa.float64()),
        g=pa.array([math.inf, -math.inf, 5e-324], pa.float64()),
        i=pa.array([2**63 - 1, -(2**63), None], pa.int64()),
        b=pa.array([True, False, None], pa.bool_()),
        s=pa.array(["plain", "ünïcødé 😀 \"'; --", ""], pa.string()),
    )

    assert online_store.write(VIEW, data) == 3
    rows = online_store.read(VIEW, ["s", "b", "i", "g", "f"], ["a", "b", "c"])

    assert rows == [
        OnlineRow(1_700_000_000_000_000, ("plain", True, 2**63 - 1, math.inf, 0.1 + 0.2)),
        OnlineRow(-5, ("ünïcødé 😀 \"'; --", False, -(2**63), -math.inf, 1e308)),
        OnlineRow(0, ("", None, None, 5e-324, -0.0)),
    ]
    first, _, third = rows
    assert first is not None and third is not None
    assert [type(value) for value in first.values] == [str, bool, int, float, float]
    assert type(first.event_ts) is int
    assert math.copysign(1.0, third.values[4]) == -1.0  # type: ignore[arg-type]


def test_nan_is_stored_as_none(online_store: OnlineStore) -> None:
    online_store.write(VIEW, table(["a"], [1], x=pa.array([math.nan], pa.float64())))

    assert values(online_store.read(VIEW, ["x"], ["a"])) == [(None,)]


def test_absent_and_duplicate_keys_are_answered_in_place(online_store: OnlineStore) -> None:
    online_store.write(VIEW, table(["a", "b"], [1, 2], x=[10, 20]))

    rows = online_store.read(VIEW, ["x"], ["b", "missing", "a", "b", "missing"])

    assert values(rows) == [(20,), None, (10,), (20,), None]


def test_an_older_event_never_replaces_a_newer_one(online_store: OnlineStore) -> None:
    online_store.write(VIEW, table(["a", "b", "c"], [100, 100, 100], x=[1, 1, 1]))

    written = online_store.write(VIEW, table(["a", "b", "c"], [99, 100, 101], x=[2, 3, 4]))

    assert written == 2
    rows = online_store.read(VIEW, ["x"], ["a", "b", "c"])
    assert [(row.event_ts, row.values) for row in rows if row] == [
        (100, (1,)),
        (100, (3,)),
        (101, (4,)),
    ]


def test_within_one_write_the_newest_row_of_an_entity_wins(online_store: OnlineStore) -> None:
    online_store.write(VIEW, table(["a", "a", "a", "b", "b"], [5, 7, 6, 3, 3], x=[1, 2, 3, 4, 5]))

    rows = online_store.read(VIEW, ["x"], ["a", "b"])

    assert [(row.event_ts, row.values) for row in rows if row] == [(7, (2,)), (3, (5,))]
    assert online_store.views()[0].rows == 2


def test_versions_of_one_view_are_isolated(online_store: OnlineStore) -> None:
    old, new = ViewKey("sales", "1"), ViewKey("sales", "2")
    online_store.write(old, table(["a"], [1], x=[1]))
    online_store.write(new, table(["a", "b"], [1, 1], y=["one", "two"]))

    assert values(online_store.read(old, ["x"], ["a", "b"])) == [(1,), None]
    assert values(online_store.read(new, ["y"], ["a", "b"])) == [("one",), ("two",)]
    online_store.drop(new)
    assert values(online_store.read(old, ["x"], ["a"])) == [(1,)]


def test_views_list_columns_rows_and_watermark_sorted(online_store: OnlineStore) -> None:
    online_store.write(ViewKey("b", "1"), table(["k"], [1], x=[1.0], y=["s"]))
    online_store.write(ViewKey("a", "2"), table(["k", "l", "m"], [1, 2, 3], z=[True] * 3))
    online_store.write(ViewKey("a", "10"), table([], []))
    online_store.write(ViewKey("a", "2"), table(["k", "n"], [4, 5], z=[False] * 2))
    online_store.set_watermark(ViewKey("a", "2"), 1_700_000_000_000_000)

    listed = online_store.views()

    assert [(v.name, v.version, v.columns, v.rows, v.watermark) for v in listed] == [
        ("a", "10", (), 0, None),
        ("a", "2", ("z",), 4, 1_700_000_000_000_000),
        ("b", "1", ("x", "y"), 1, None),
    ]
    assert all(view.updated_at is not None and view.updated_at.tzinfo for view in listed)


def test_the_watermark_can_move_either_way(online_store: OnlineStore) -> None:
    online_store.write(VIEW, table(["a"], [1], x=[1]))
    online_store.set_watermark(VIEW, 50)
    online_store.set_watermark(VIEW, 20)

    assert online_store.views()[0].watermark == 20


def test_a_watermark_without_rows_is_listed_and_the_first_write_sets_columns(
    online_store: OnlineStore,
) -> None:
    empty = ViewKey("nothing yet", "1")
    online_store.set_watermark(empty, 5)

    listed = online_store.views()
    assert [(v.name, v.columns, v.rows, v.watermark) for v in listed] == [("nothing yet", (), 0, 5)]
    assert online_store.read(empty, ["x"], ["a"]) == [None]

    online_store.write(empty, table(["a", "b"], [1, 2], x=[1, 2]))
    assert values(online_store.read(empty, ["x"], ["b"])) == [(2,)]
    assert [(v.columns, v.rows, v.watermark) for v in online_store.views()] == [(("x",), 2, 5)]
    online_store.drop(empty)
    assert online_store.views() == []


def test_drop_removes_rows_and_metadata_and_ignores_absent_views(
    online_store: OnlineStore,
) -> None:
    online_store.write(VIEW, table(["a", "b"], [1, 1], x=[1, 2]))
    online_store.set_watermark(VIEW, 1)

    online_store.drop(VIEW)
    online_store.drop(VIEW)
    online_store.drop(ViewKey("never", "written"))

    assert online_store.views() == []
    assert online_store.read(VIEW, ["x"], ["a", "b"]) == [None, None]
    online_store.write(VIEW, table(["c"], [1], other=["new"]))
    assert values(online_store.read(VIEW, ["other"], ["a", "c"])) == [None, ("new",)]
    assert online_store.views()[0].rows == 1


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_view_and_feature_names_work(online_store: OnlineStore, name: str) -> None:
    view = ViewKey(name, name)
    features = {name: [1], "A": [2], "a": [3], "event_ts": [4], "entity_key": [5], "f0": [6]}
    online_store.write(view, table([name], [1], **features))
    online_store.write(ViewKey(name, "other"), table([name], [1], x=[0]))

    rows = online_store.read(view, ["f0", "a", "A", name, "entity_key", "event_ts"], [name])

    assert values(rows) == [(6, 3, 2, 1, 5, 4)]
    assert (name, name) in [(v.name, v.version) for v in online_store.views()]
    online_store.drop(view)
    assert [(v.name, v.version) for v in online_store.views()] == [(name, "other")]


def test_view_names_joined_by_separators_do_not_collide(online_store: OnlineStore) -> None:
    first, second = ViewKey("a:b", "c"), ViewKey("a", "b:c")
    online_store.write(first, table(["k"], [1], x=[1]))
    online_store.write(second, table(["k"], [1], x=[2]))

    assert values(online_store.read(first, ["x"], ["k"])) == [(1,)]
    assert values(online_store.read(second, ["x"], ["k"])) == [(2,)]


def test_empty_writes_and_reads(online_store: OnlineStore) -> None:
    assert online_store.write(VIEW, table([], [], x=pa.array([], pa.float64()))) == 0
    assert online_store.read(VIEW, ["x"], []) == []
    assert online_store.read(VIEW, [], ["a"]) == [None]
    online_store.write(VIEW, table(["a"], [1], x=[1.5]))
    assert online_store.read(VIEW, [], ["a", "b"]) == [OnlineRow(1, ()), None]


def test_an_unwritten_view_version_reads_as_all_none(online_store: OnlineStore) -> None:
    online_store.write(VIEW, table(["a"], [1], x=[1]))

    assert online_store.read(ViewKey("sales", "2"), ["x", "anything"], ["a", "b"]) == [None] * 2
    assert online_store.read(ViewKey("nothing", "1"), ["x"], ["a"]) == [None]


def test_a_thousand_keys_in_one_read(online_store: OnlineStore) -> None:
    keys = [f"entity-{i}" for i in range(2500)]
    online_store.write(VIEW, table(keys, list(range(2500)), x=list(range(2500))))
    asked = keys[::-1][:1000] + [f"absent-{i}" for i in range(10)] + keys[:3]

    rows = online_store.read(VIEW, ["x"], asked)

    assert len(rows) == 1013
    assert values(rows[:1000]) == [(2499 - i,) for i in range(1000)]
    assert rows[1000:1010] == [None] * 10
    assert values(rows[1010:]) == [(0,), (1,), (2,)]
    assert online_store.read(VIEW, ["x"], keys)[1234] == OnlineRow(1234, (1234,))


def test_two_stores_on_one_url_see_each_others_writes(online_url: str) -> None:
    first, second = open_online_store(online_url), open_online_store(online_url)
    try:
        first.write(VIEW, table(["a"], [1], x=[1]))
        assert values(second.read(VIEW, ["x"], ["a"])) == [(1,)]
        second.write(VIEW, table(["a"], [2], x=[2]))
        assert values(first.read(VIEW, ["x"], ["a"])) == [(2,)]
        second.drop(VIEW)
        second.write(VIEW, table(["a"], [3], y=["changed"], x=[3]))
        assert values(first.read(VIEW, ["y", "x"], ["a"])) == [("changed", 3)]
    finally:
        first.drop(VIEW)
        first.close()
        second.close()


def test_columns_are_fixed_by_the_first_write_of_a_version(online_store: OnlineStore) -> None:
    online_store.write(VIEW, table(["a"], [1], x=[1], y=["s"]))

    online_store.write(VIEW, table(["b"], [1], y=["t"], x=[2]))  # same columns, other order
    assert values(online_store.read(VIEW, ["x", "y"], ["a", "b"])) == [(1, "s"), (2, "t")]
    with pytest.raises(FeatureError, match="new view version"):
        online_store.write(VIEW, table(["c"], [1], x=[1], z=[2]))
    with pytest.raises(FeatureError, match="'x' \\(float\\)"):
        online_store.write(VIEW, table(["c"], [1], x=[1.0], y=["s"]))
    assert online_store.read(VIEW, ["x"], ["c"]) == [None]


def test_reading_an_unknown_column_names_it_and_the_known_ones(online_store: OnlineStore) -> None:
    online_store.write(VIEW, table(["a"], [1], x=[1]))

    with pytest.raises(FeatureError, match=r"'nope'.*\['x'\]"):
        online_store.read(VIEW, ["x", "nope"], ["a"])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pa.table({"__event_ts": [1], "x": [1]}), "no '__entity_key' column"),
        (pa.table({"__entity_key": ["a"], "x": [1]}), "no '__event_ts' column"),
        (pa.table({"__entity_key": [1], "__event_ts": [1]}), "'__entity_key' has type int64"),
        (pa.table({"__entity_key": [None, "b"], "__event_ts": [1, 2]}), "1 null value"),
        (pa.table({"__entity_key": ["a"], "__event_ts": pa.array([None], pa.int64())}), "null"),
        (
            pa.table({"__entity_key": ["a"], "__event_ts": [1], "d": pa.array([1], pa.date32())}),
            "column 'd' has type date32",
        ),
        (pa.table({"__entity_key": ["a"], "__event_ts": [1], "n": [None]}), "type null"),
        (
            pa.Table.from_arrays(
                [pa.array(["a"]), pa.array([1]), pa.array([1]), pa.array([2])],
                names=["__entity_key", "__event_ts", "x", "x"],
            ),
            "duplicate columns \\['x'\\]",
        ),
    ],
)
def test_unusable_tables_are_rejected_with_the_reason(
    online_store: OnlineStore, data: pa.Table, message: str
) -> None:
    with pytest.raises(FeatureError, match=message):
        online_store.write(VIEW, data)
    assert online_store.views() == []


def test_dictionary_and_narrow_types_are_accepted(online_store: OnlineStore) -> None:
    data = table(
        ["a", "b"],
        [1, 2],
        c=pa.array(["x", "y"]).dictionary_encode(),
        n=pa.array([1, 2], pa.int8()),
        f=pa.array([0.5, 1.5], pa.float32()),
        ls=pa.array(["p", "q"], pa.large_string()),
    )
    online_store.write(VIEW, data)

    assert values(online_store.read(VIEW, ["c", "n", "f", "ls"], ["b"])) == [("y", 2, 1.5, "q")]


def test_a_closed_store_refuses_calls(online_url: str) -> None:
    store = open_online_store(online_url)
    store.close()
    store.close()

    with pytest.raises(OnlineStoreError, match="closed"):
        store.read(VIEW, ["x"], ["a"])
    with pytest.raises(OnlineStoreError, match="closed"):
        store.write(VIEW, table(["a"], [1], x=[1]))


def test_threads_can_share_one_store(online_store: OnlineStore) -> None:
    keys = [f"k{i}" for i in range(200)]
    online_store.write(VIEW, table(keys, [0] * 200, x=[0] * 200))

    def work(worker: int) -> None:
        for step in range(1, 21):
            online_store.write(VIEW, table(keys[worker::8], [step] * 25, x=[step] * 25))
            rows = online_store.read(VIEW, ["x"], keys)
            assert all(row is not None and row.values == (row.event_ts,) for row in rows)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))

    assert {row.values for row in online_store.read(VIEW, ["x"], keys) if row} == {(20,)}
    assert online_store.views()[0].rows == 200


def test_an_unreachable_redis_names_the_url_without_its_password() -> None:
    pytest.importorskip("redis")
    url = "redis://:s3cret-pw@127.0.0.1:1/0"

    with pytest.raises(OnlineStoreError) as raised:
        open_online_store(url)

    message = str(raised.value)
    assert "redis://:***@127.0.0.1:1/0" in message
    assert "is the server running?" in message
    assert "s3cret-pw" not in message
