"""Properties: offline retrieval equals a brute-force reference on random data.

Timestamps are whole seconds from a small range (plus, for entity rows, a microsecond either
side), so ties, TTL edges and window edges come up in most examples. Keys are a few strings or
integers; sources and entity frames come in random order and hold nulls, duplicates and
entities the other side never saw. The references below are plain Python loops over the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
from hypothesis import example, given, settings
from hypothesis import strategies as st

from modelfleet.features import Feature, FeatureStore, FeatureView, Lag, Rolling

EPOCH = datetime(2024, 1, 1)
SECOND = 1_000_000  # microseconds
PROPERTY = settings(max_examples=60, deadline=None)
PAIRED = settings(max_examples=30, deadline=None)  # three DuckDB sessions per example


@dataclass(frozen=True)
class Event:
    """One source row: key, event time and created time in microseconds, value."""

    key: Any
    ts: int | None
    value: int | None
    created: int | None = None


@dataclass(frozen=True)
class Request:
    """One entity row: key and time in microseconds."""

    key: Any
    ts: int | None


@dataclass(frozen=True)
class World:
    """A random source and entity frame with their options."""

    events: tuple[Event, ...]
    requests: tuple[Request, ...]
    int_keys: bool
    aware: bool
    ttl: int | None  # microseconds
    use_created: bool


def time_type(aware: bool) -> pa.DataType:
    return pa.timestamp("us", tz="UTC") if aware else pa.timestamp("us")


def moment(micros: int | None, aware: bool) -> datetime | None:
    if micros is None:
        return None
    value = EPOCH + timedelta(microseconds=micros)
    return value.replace(tzinfo=UTC) if aware else value


def key_type(int_keys: bool) -> pa.DataType:
    return pa.int64() if int_keys else pa.string()


def source_table(world: World) -> pa.Table:
    """The events as a table; ``row`` is each event's position, so the winner is visible."""
    events = world.events
    return pa.table(
        {
            "k": pa.array([e.key for e in events], key_type(world.int_keys)),
            "ts": pa.array([moment(e.ts, world.aware) for e in events], time_type(world.aware)),
            "v": pa.array([e.value for e in events], pa.int64()),
            "row": pa.array(range(len(events)), pa.int64()),
            "ct": pa.array(
                [moment(e.created, world.aware) for e in events], time_type(world.aware)
            ),
        }
    )


def entity_table(world: World) -> pa.Table:
    requests = world.requests
    return pa.table(
        {
            "k": pa.array([r.key for r in requests], key_type(world.int_keys)),
            "when": pa.array([moment(r.ts, world.aware) for r in requests], time_type(world.aware)),
            "position": pa.array(range(len(requests)), pa.int64()),
        }
    )


def store_for(world: World, features: Sequence[Feature]) -> FeatureStore:
    view = FeatureView(
        name="v",
        entities=["k"],
        timestamp="ts",
        source="src",
        ttl=None if world.ttl is None else timedelta(microseconds=world.ttl),
        created_timestamp="ct" if world.use_created else None,
        features=list(features),
    )
    return FeatureStore([view], tables={"src": source_table(world)})


@st.composite
def worlds(draw: st.DrawFn, *, with_ttl: bool = True, event_jitter: bool = False) -> World:
    int_keys = draw(st.booleans())
    keys: list[Any] = [1, 2, 3] if int_keys else ["a", "b", "c"]
    absent: Any = 99 if int_keys else "zz"
    seconds = st.integers(min_value=0, max_value=12)
    jitter = st.sampled_from([0, 1]) if event_jitter else st.just(0)
    events = draw(
        st.lists(
            st.builds(
                Event,
                key=st.sampled_from(keys) | st.none(),
                ts=st.builds(lambda s, j: s * SECOND + j, seconds, jitter) | st.none(),
                value=st.integers(min_value=-20, max_value=20) | st.none(),
                created=st.integers(min_value=0, max_value=3).map(lambda c: c * SECOND) | st.none(),
            ),
            max_size=25,
        )
    )
    requests = draw(
        st.lists(
            st.builds(
                Request,
                key=st.sampled_from([*keys, absent]) | st.none(),
                ts=st.builds(
                    lambda s, j: s * SECOND + j,
                    st.integers(min_value=-2, max_value=16),
                    st.sampled_from([0, 0, -1, 1]),
                )
                | st.none(),
            ),
            max_size=20,
        )
    )
    ttl = draw(st.none() | st.integers(min_value=0, max_value=6).map(lambda s: s * SECOND))
    return World(
        events=tuple(events),
        requests=tuple(requests),
        int_keys=int_keys,
        aware=draw(st.booleans()),
        ttl=ttl if with_ttl else None,
        use_created=draw(st.booleans()),
    )


# --- the brute-force reference --------------------------------------------------------------


def winners(world: World) -> dict[tuple[Any, int], int]:
    """Per (key, event time): the index of the row that wins the tie.

    The latest created time wins (a null one loses), then the later row in source order.
    """
    best: dict[tuple[Any, int], int] = {}
    for index, event in enumerate(world.events):
        if event.key is None or event.ts is None:
            continue
        slot = (event.key, event.ts)
        if slot not in best or not beats(world.events[best[slot]], event, world.use_created):
            best[slot] = index
    return best


def beats(held: Event, challenger: Event, use_created: bool) -> bool:
    """Whether the earlier row ``held`` stays ahead of the later row ``challenger``."""
    if not use_created:
        return False
    if held.created is None:
        return False
    return challenger.created is None or held.created > challenger.created


def as_of(world: World, request: Request) -> int | None:
    """The index of the event a request row sees: latest at or before it, within the TTL."""
    if request.key is None or request.ts is None:
        return None
    times = [ts for (key, ts) in winners(world) if key == request.key and ts <= request.ts]
    if not times:
        return None
    latest = max(times)
    if world.ttl is not None and request.ts - latest > world.ttl:
        return None
    return winners(world)[(request.key, latest)]


def value_at(world: World, key: Any, ts: int) -> int | None:
    index = winners(world).get((key, ts))
    return None if index is None else world.events[index].value


def window_values(world: World, key: Any, end: int, window: int) -> list[int]:
    """Non-null values of the key's winning events in (end - window, end]."""
    return [
        world.events[index].value  # type: ignore[misc]
        for (k, ts), index in winners(world).items()
        if k == key and end - window < ts <= end and world.events[index].value is not None
    ]


def column(table: pa.Table | None, name: str) -> list[Any]:
    assert table is not None
    return table[name].to_pylist()


# --- properties -----------------------------------------------------------------------------


@PROPERTY
@given(worlds())
def test_the_as_of_join_equals_the_brute_force_reference(world: World) -> None:
    store = store_for(world, [Feature(name="x", expr="v"), Feature(name="src_row", expr="row")])
    entities = entity_table(world)

    result = store.get_historical_features(entities, timestamp="when")

    picked = [as_of(world, r) for r in world.requests]
    assert result is not None
    # values and order; the time zone label of aware columns is covered in test_offline_retrieval
    assert result.select(entities.column_names).cast(entities.schema).equals(entities)
    assert column(result, "src_row") == picked
    assert column(result, "x") == [None if i is None else world.events[i].value for i in picked]


@PROPERTY
@given(worlds(with_ttl=False, event_jitter=True), st.integers(min_value=1, max_value=4))
def test_a_lag_equals_the_value_exactly_by_before_the_matched_event(
    world: World, by_seconds: int
) -> None:
    by = by_seconds * SECOND
    store = store_for(
        world, [Feature(name="lagged", lag=Lag(column="v", by=timedelta(seconds=by_seconds)))]
    )

    result = store.get_historical_features(entity_table(world), timestamp="when")

    expected = []
    for request in world.requests:
        index = as_of(world, request)
        event = None if index is None else world.events[index]
        expected.append(
            None if event is None or event.ts is None else value_at(world, event.key, event.ts - by)
        )
    assert column(result, "lagged") == expected


@PROPERTY
@given(worlds(with_ttl=False, event_jitter=True), st.integers(min_value=1, max_value=6))
def test_rolling_sum_count_and_mean_equal_the_brute_force_window(
    world: World, window_seconds: int
) -> None:
    window = timedelta(seconds=window_seconds)
    store = store_for(
        world,
        [
            Feature(name="total", rolling=Rolling(column="v", window=window, agg="sum")),
            Feature(name="n", rolling=Rolling(column="v", window=window, agg="count")),
            Feature(name="avg", rolling=Rolling(column="v", window=window, agg="mean")),
        ],
    )

    result = store.get_historical_features(entity_table(world), timestamp="when")

    totals: list[int | None] = []
    counts: list[int | None] = []
    means: list[float | None] = []
    for request in world.requests:
        index = as_of(world, request)
        if index is None:
            totals.append(None)
            counts.append(None)
            means.append(None)
            continue
        event = world.events[index]
        assert event.ts is not None
        found = window_values(world, event.key, event.ts, window_seconds * SECOND)
        totals.append(sum(found) if found else None)
        counts.append(len(found))
        means.append(sum(found) / len(found) if found else None)
    assert column(result, "total") == totals
    assert column(result, "n") == counts
    assert column(result, "avg") == means


@PAIRED
@given(worlds(), st.integers(min_value=0, max_value=14), st.sampled_from([0, -1, 1]))
@example(  # a value exactly ttl old at T: kept on both paths
    world=World(
        events=(Event("a", 0, 1), Event("b", 0, 2), Event("b", 1, 3)),
        requests=(),
        int_keys=False,
        aware=False,
        ttl=5 * SECOND,
        use_created=False,
    ),
    seconds=5,
    jitter=0,
)
def test_online_values_after_materializing_to_t_equal_offline_values_at_t(
    world: World, seconds: int, jitter: int
) -> None:
    now = moment(seconds * SECOND + jitter, world.aware)
    assert now is not None
    view = FeatureView(
        name="v",
        entities=["k"],
        timestamp="ts",
        source="src",
        ttl=None if world.ttl is None else timedelta(microseconds=world.ttl),
        created_timestamp="ct" if world.use_created else None,
        features=[
            Feature(name="x", expr="v"),
            Feature(name="lagged", lag=Lag(column="v", by="2s")),
            Feature(name="total", rolling=Rolling(column="v", window="3s", agg="sum")),
            Feature(name="avg", rolling=Rolling(column="v", window="3s", agg="mean")),
        ],
    )
    store = FeatureStore([view], tables={"src": source_table(world)}, online_url="memory://")
    keys: list[Any] = [1, 2, 3, 99] if world.int_keys else ["a", "b", "c", "zz"]
    entities = pa.table(
        {
            "k": pa.array(keys, key_type(world.int_keys)),
            "when": pa.array([now] * len(keys), time_type(world.aware)),
        }
    )

    store.materialize(end=now)
    online = store.get_online_features({"k": keys}, now=now)
    offline = store.get_historical_features(entities, timestamp="when")

    for name in ("x", "lagged", "total", "avg"):
        assert column(online, name) == column(offline, name), name
