"""Offline retrieval: each entity row gets every feature as of its own time, never later.

The examples are small enough to check by hand; ``test_offline_properties.py`` compares the same
join with a brute-force reference on random data.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from modelfleet.features import (
    Feature,
    FeatureStore,
    FeatureView,
    FileSource,
    Lag,
    OnDemandFeature,
    Rolling,
)

DAY = 86400
Clock = Callable[..., datetime]
MakeStore = Callable[..., FeatureStore]


def frame(keys: list[Any], times: list[datetime | None], **extra: list[Any]) -> pa.Table:
    """An entity frame keyed by ``k`` at ``when``."""
    return pa.table({"k": keys, "when": pa.array(times, pa.timestamp("us")), **extra})


def values(table: pa.Table | None, column: str) -> list[Any]:
    assert table is not None
    return table[column].to_pylist()


VALUE = [Feature(name="x", expr="v")]


# --- point in time --------------------------------------------------------------------------


def test_each_row_gets_the_latest_value_at_or_before_its_time(
    make_store: MakeStore, at: Clock
) -> None:
    source = pa.table({"k": ["a", "a", "a"], "ts": [at(0), at(20), at(10)], "v": [1, 3, 2]})
    store = make_store(source, VALUE)

    result = store.get_historical_features(
        frame(["a"] * 4, [at(5), at(10), at(19), at(25)]), timestamp="when"
    )

    assert values(result, "x") == [1, 2, 2, 3]


def test_a_value_stamped_after_the_row_time_is_never_used(make_store: MakeStore, at: Clock) -> None:
    source = pa.table({"k": ["a", "a"], "ts": [at(10), at(20, 1)], "v": [1, 2]})
    store = make_store(source, VALUE)

    result = store.get_historical_features(frame(["a", "a"], [at(9), at(20)]), timestamp="when")

    assert values(result, "x") == [None, 1]


def test_a_value_stamped_exactly_at_the_row_time_is_used(make_store: MakeStore, at: Clock) -> None:
    source = pa.table({"k": ["a", "a"], "ts": [at(0), at(10)], "v": [1, 2]})
    store = make_store(source, VALUE)

    result = store.get_historical_features(frame(["a"], [at(10)]), timestamp="when")

    assert values(result, "x") == [2]


def test_entities_missing_from_the_view_get_null_features(make_store: MakeStore, at: Clock) -> None:
    store = make_store(pa.table({"k": ["a"], "ts": [at(0)], "v": [1]}), VALUE)

    result = store.get_historical_features(frame(["a", "zz"], [at(5), at(5)]), timestamp="when")

    assert values(result, "x") == [1, None]


def test_rows_with_a_null_key_or_time_get_null_features(make_store: MakeStore, at: Clock) -> None:
    store = make_store(pa.table({"k": ["a"], "ts": [at(0)], "v": [1]}), VALUE)

    result = store.get_historical_features(
        frame(["a", None, "a"], [at(5), at(5), None]), timestamp="when"
    )

    assert values(result, "x") == [1, None, None]
    assert values(result, "k") == ["a", None, "a"]


def test_source_rows_with_a_null_key_or_time_are_ignored(make_store: MakeStore, at: Clock) -> None:
    source = pa.table(
        {
            "k": pa.array(["a", None, "a"], pa.string()),
            "ts": pa.array([at(0), at(5), None], pa.timestamp("us")),
            "v": [1, 2, 3],
        }
    )
    store = make_store(source, VALUE)

    result = store.get_historical_features(frame(["a"], [at(9)]), timestamp="when")

    assert values(result, "x") == [1]


def test_a_null_value_is_returned_as_null_not_replaced_by_an_older_one(
    make_store: MakeStore, at: Clock
) -> None:
    source = pa.table({"k": ["a", "a"], "ts": [at(0), at(5)], "v": [1, None]})
    store = make_store(source, VALUE)

    result = store.get_historical_features(frame(["a"], [at(9)]), timestamp="when")

    assert values(result, "x") == [None]


# --- TTL ------------------------------------------------------------------------------------


def test_a_value_exactly_ttl_old_is_kept(make_store: MakeStore, at: Clock) -> None:
    store = make_store(pa.table({"k": ["a"], "ts": [at(0)], "v": [1]}), VALUE, ttl="10s")

    result = store.get_historical_features(frame(["a"], [at(10)]), timestamp="when")

    assert values(result, "x") == [1]


def test_a_value_one_microsecond_older_than_the_ttl_is_null(
    make_store: MakeStore, at: Clock
) -> None:
    store = make_store(pa.table({"k": ["a"], "ts": [at(0)], "v": [1]}), VALUE, ttl="10s")

    result = store.get_historical_features(frame(["a"], [at(10, 1)]), timestamp="when")

    assert values(result, "x") == [None]


def test_an_expired_latest_value_does_not_fall_back_to_an_older_one(
    make_store: MakeStore, at: Clock
) -> None:
    source = pa.table({"k": ["a", "a"], "ts": [at(0), at(5)], "v": [1, 2]})
    store = make_store(source, VALUE, ttl="3s")

    result = store.get_historical_features(frame(["a", "a"], [at(8), at(9)]), timestamp="when")

    assert values(result, "x") == [2, None]


def test_without_a_ttl_values_never_expire(make_store: MakeStore, at: Clock) -> None:
    store = make_store(pa.table({"k": ["a"], "ts": [at(0)], "v": [1]}), VALUE)

    result = store.get_historical_features(frame(["a"], [at(3650 * DAY)]), timestamp="when")

    assert values(result, "x") == [1]


# --- duplicate events -----------------------------------------------------------------------


def test_duplicate_events_resolve_to_the_later_row_in_source_order(
    make_store: MakeStore, at: Clock
) -> None:
    source = pa.table({"k": ["a", "a", "b", "a"], "ts": [at(5)] * 4, "v": [1, 2, 9, 3]})
    store = make_store(source, VALUE)

    result = store.get_historical_features(frame(["a", "b"], [at(5), at(5)]), timestamp="when")

    assert values(result, "x") == [3, 9]


def test_created_timestamp_overrides_source_order_for_duplicates(
    make_store: MakeStore, at: Clock
) -> None:
    source = pa.table(
        {"k": ["a", "a", "a"], "ts": [at(5)] * 3, "v": [1, 2, 3], "ct": [at(7), at(9), at(8)]}
    )
    store = make_store(source, VALUE, created_timestamp="ct")

    result = store.get_historical_features(frame(["a"], [at(5)]), timestamp="when")

    assert values(result, "x") == [2]


def test_equal_created_timestamps_fall_back_to_source_order(
    make_store: MakeStore, at: Clock
) -> None:
    source = pa.table(
        {"k": ["a", "a", "a"], "ts": [at(5)] * 3, "v": [1, 2, 3], "ct": [at(9), at(9), at(1)]}
    )
    store = make_store(source, VALUE, created_timestamp="ct")

    result = store.get_historical_features(frame(["a"], [at(5)]), timestamp="when")

    assert values(result, "x") == [2]


def test_a_null_created_timestamp_loses_to_a_set_one(make_store: MakeStore, at: Clock) -> None:
    source = pa.table(
        {
            "k": ["a", "a"],
            "ts": [at(5)] * 2,
            "v": [1, 2],
            "ct": pa.array([at(1), None], pa.timestamp("us")),
        }
    )
    store = make_store(source, VALUE, created_timestamp="ct")

    result = store.get_historical_features(frame(["a"], [at(5)]), timestamp="when")

    assert values(result, "x") == [1]


# --- the shape of the output ----------------------------------------------------------------


def test_output_keeps_the_entity_frame_rows_in_order_with_its_columns_first(
    sales_store: FeatureStore, at: Clock
) -> None:
    entities = pa.table(
        {
            "label": [0.5, 0.1, 0.7, 0.2],
            "store": [2, 1, 1, 2],
            "ts": [at(3 * DAY), at(0), at(2 * DAY), at(0)],
        }
    )

    result = sales_store.get_historical_features(entities, timestamp="ts")

    assert result is not None
    assert result.column_names == ["label", "store", "ts", "sales", "promo", "promo_sales"]
    assert result.select(["label", "store", "ts"]).equals(entities)
    assert values(result, "sales") == [23.0, 10.0, 13.0, 20.0]


def test_repeated_entity_rows_each_get_a_row(make_store: MakeStore, at: Clock) -> None:
    store = make_store(pa.table({"k": ["a"], "ts": [at(0)], "v": [1]}), VALUE)

    result = store.get_historical_features(frame(["a", "a"], [at(1), at(1)]), timestamp="when")

    assert values(result, "x") == [1, 1]


def test_an_empty_entity_frame_gives_no_rows_but_every_feature_column(
    sales_store: FeatureStore,
) -> None:
    entities = pa.table({"store": pa.array([], pa.int64()), "ts": pa.array([], pa.timestamp("us"))})

    result = sales_store.get_historical_features(entities, timestamp="ts")

    assert result is not None
    assert result.num_rows == 0
    assert result.column_names == ["store", "ts", "sales", "promo", "promo_sales"]


def test_features_come_back_in_the_order_asked(sales_store: FeatureStore, at: Clock) -> None:
    entities = pa.table({"store": [1], "ts": [at(DAY)]})

    result = sales_store.get_historical_features(
        entities, ["sales:promo_sales", "sales:sales"], timestamp="ts"
    )

    assert result is not None
    assert result.column_names == ["store", "ts", "promo_sales", "sales"]


def test_full_names_prefix_each_feature_with_its_view(sales_store: FeatureStore, at: Clock) -> None:
    entities = pa.table({"store": [1], "ts": [at(DAY)]})

    result = sales_store.get_historical_features(
        entities, ["sales:sales", "sales:promo"], timestamp="ts", full_names=True
    )

    assert result is not None
    assert result.column_names == ["store", "ts", "sales__sales", "sales__promo"]
    assert result.to_pylist()[0] == {
        "store": 1,
        "ts": at(DAY),
        "sales__sales": 11.0,
        "sales__promo": 1,
    }


def test_full_names_let_a_feature_share_a_name_with_an_entity_column(
    sales_store: FeatureStore, at: Clock
) -> None:
    entities = pa.table({"store": [1], "ts": [at(DAY)], "sales": [99.0]})

    result = sales_store.get_historical_features(
        entities, ["sales:sales"], timestamp="ts", full_names=True
    )

    assert values(result, "sales") == [99.0]
    assert values(result, "sales__sales") == [11.0]


# --- lags, rolling windows and calendar parts ----------------------------------------------


def test_a_lag_is_the_value_exactly_by_earlier_on_the_clock(
    make_store: MakeStore, at: Clock
) -> None:
    source = pa.table({"k": ["a"] * 3, "ts": [at(0), at(10), at(25)], "v": [1, 2, 3]})
    store = make_store(source, [Feature(name="lag", lag=Lag(column="v", by="10s"))])

    result = store.get_historical_features(
        frame(["a"] * 3, [at(0), at(10), at(25)]), timestamp="when"
    )

    # at 25 the previous event is 15 s back, not 10: no value, rather than a shifted one
    assert values(result, "lag") == [None, 1, None]


def test_a_lag_belongs_to_the_matched_event_not_the_row_time(
    make_store: MakeStore, at: Clock
) -> None:
    source = pa.table({"k": ["a"] * 2, "ts": [at(0), at(10)], "v": [1, 2]})
    store = make_store(source, [Feature(name="lag", lag=Lag(column="v", by="10s"))])

    result = store.get_historical_features(frame(["a"], [at(14)]), timestamp="when")

    assert values(result, "lag") == [1]


def test_a_lag_reads_the_winning_row_of_a_duplicated_event(
    make_store: MakeStore, at: Clock
) -> None:
    source = pa.table({"k": ["a"] * 3, "ts": [at(0), at(0), at(5)], "v": [1, 2, 3]})
    store = make_store(source, [Feature(name="lag", lag=Lag(column="v", by="5s"))])

    result = store.get_historical_features(frame(["a"], [at(5)]), timestamp="when")

    assert values(result, "lag") == [2]


def test_a_zero_lag_is_the_current_value(make_store: MakeStore, at: Clock) -> None:
    source = pa.table({"k": ["a"] * 2, "ts": [at(0), at(5)], "v": [1, 2]})
    store = make_store(source, [Feature(name="now", lag=Lag(column="v", by="0s"))])

    result = store.get_historical_features(frame(["a"], [at(7)]), timestamp="when")

    assert values(result, "now") == [2]


def test_a_lag_never_crosses_entities(make_store: MakeStore, at: Clock) -> None:
    source = pa.table({"k": ["b", "a"], "ts": [at(0), at(10)], "v": [1, 2]})
    store = make_store(source, [Feature(name="lag", lag=Lag(column="v", by="10s"))])

    result = store.get_historical_features(frame(["a"], [at(10)]), timestamp="when")

    assert values(result, "lag") == [None]


def test_a_rolling_window_covers_events_after_t_minus_window_up_to_t(
    make_store: MakeStore, at: Clock
) -> None:
    # events 10 s and 10 s - 1 us before the last one: only the second is inside (t - 10s, t]
    source = pa.table(
        {"k": ["a"] * 4, "ts": [at(0), at(0, 1), at(5), at(10)], "v": [1, 10, 100, 1000]}
    )
    feature = Feature(name="total", rolling=Rolling(column="v", window="10s", agg="sum"))
    store = make_store(source, [feature])

    result = store.get_historical_features(frame(["a"], [at(10)]), timestamp="when")

    assert values(result, "total") == [1110]


@pytest.mark.parametrize(
    ("agg", "expected"),
    [
        ("sum", 6.0),
        ("count", 3),
        ("mean", 2.0),
        ("min", 1.0),
        ("max", 3.0),
        ("std", 1.0),
    ],
)
def test_rolling_aggregates_summarise_the_window(
    make_store: MakeStore, at: Clock, agg: str, expected: float
) -> None:
    source = pa.table({"k": ["a"] * 4, "ts": [at(0), at(8), at(9), at(10)], "v": [50.0, 1, 2, 3]})
    feature = Feature(name="agg", rolling=Rolling(column="v", window="5s", agg=agg))
    store = make_store(source, [feature])

    result = store.get_historical_features(frame(["a"], [at(10)]), timestamp="when")

    assert values(result, "agg") == [pytest.approx(expected)]


def test_rolling_aggregates_skip_null_values(make_store: MakeStore, at: Clock) -> None:
    source = pa.table({"k": ["a"] * 3, "ts": [at(0), at(1), at(2)], "v": [4.0, None, 2.0]})
    features = [
        Feature(name="n", rolling=Rolling(column="v", window="1m", agg="count")),
        Feature(name="avg", rolling=Rolling(column="v", window="1m", agg="mean")),
    ]
    store = make_store(source, features)

    result = store.get_historical_features(frame(["a"], [at(2)]), timestamp="when")

    assert values(result, "n") == [2]
    assert values(result, "avg") == [3.0]


def test_a_rolling_window_counts_a_duplicated_event_once(make_store: MakeStore, at: Clock) -> None:
    source = pa.table({"k": ["a"] * 3, "ts": [at(0), at(1), at(1)], "v": [1, 2, 4]})
    feature = Feature(name="total", rolling=Rolling(column="v", window="1m", agg="sum"))
    store = make_store(source, [feature])

    result = store.get_historical_features(frame(["a"], [at(1)]), timestamp="when")

    assert values(result, "total") == [5]


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("dayofweek", 7),  # ISO: Sunday
        ("is_weekend", 1),
        ("day", 7),
        ("month", 1),
        ("year", 2024),
        ("quarter", 1),
        ("dayofyear", 7),
        ("weekofyear", 1),
    ],
)
def test_calendar_features_describe_the_matched_event_time(
    make_store: MakeStore, at: Clock, part: str, expected: int
) -> None:
    # the event is on Sunday 2024-01-07; the row asking is on Wednesday 2024-01-10
    source = pa.table({"k": ["a"], "ts": [at(6 * DAY + 3600)], "v": [1]})
    store = make_store(source, [Feature(name="part", calendar=part)])

    result = store.get_historical_features(frame(["a"], [at(9 * DAY)]), timestamp="when")

    assert values(result, "part") == [expected]


# --- several views and on-demand features ---------------------------------------------------


def test_several_views_join_each_as_of_the_row_time_with_their_own_ttl(at: Clock) -> None:
    stores = pa.table({"store": [1, 1], "ts": [at(0), at(10)], "size": [100, 120]})
    items = pa.table({"item": ["x", "y"], "ts": [at(0), at(0)], "price": [2.5, 4.0]})
    store_view = FeatureView(
        name="stores",
        entities=["store"],
        timestamp="ts",
        source="stores",
        features=[Feature(name="size", expr="size")],
    )
    item_view = FeatureView(
        name="items",
        entities=["item"],
        timestamp="ts",
        source="items",
        ttl="5s",
        features=[Feature(name="price", expr="price")],
    )
    fs = FeatureStore([store_view, item_view], tables={"stores": stores, "items": items})
    entities = pa.table(
        {"store": [1, 1, 1], "item": ["x", "y", "x"], "when": [at(5), at(5), at(10)]}
    )

    result = fs.get_historical_features(entities, timestamp="when")

    assert values(result, "size") == [100, 100, 120]
    assert values(result, "price") == [2.5, 4.0, None]


def test_a_composite_key_matches_on_every_key_column(make_store: MakeStore, at: Clock) -> None:
    source = pa.table(
        {"store": [1, 1, 2], "item": ["x", "y", "x"], "ts": [at(0)] * 3, "v": [1, 2, 3]}
    )
    store = make_store(source, VALUE, entities=["store", "item"])
    entities = pa.table(
        {"store": [2, 1, 2], "item": ["x", "y", "y"], "when": [at(1), at(1), at(1)]}
    )

    result = store.get_historical_features(entities, timestamp="when")

    assert values(result, "x") == [3, 2, None]


def test_on_demand_features_combine_request_columns_and_view_features(
    make_store: MakeStore, at: Clock
) -> None:
    source = pa.table({"k": ["a", "b"], "ts": [at(0), at(0)], "v": [10, 20]})
    ratio = OnDemandFeature(name="ratio", expr="x / qty")
    store = make_store(source, VALUE, on_demand=[ratio])

    result = store.get_historical_features(
        frame(["a", "b"], [at(1), at(1)], qty=[4, 5]), ["x", "ratio"], timestamp="when"
    )

    assert values(result, "ratio") == [2.5, 4.0]


def test_on_demand_features_see_null_when_the_view_has_no_value(
    make_store: MakeStore, at: Clock
) -> None:
    source = pa.table({"k": ["a"], "ts": [at(5)], "v": [10]})
    plus = OnDemandFeature(name="plus", expr="coalesce(x, 0) + 1")
    store = make_store(source, VALUE, on_demand=[plus])

    result = store.get_historical_features(frame(["a", "a"], [at(1), at(5)]), timestamp="when")

    assert values(result, "plus") == [1, 11]


def test_no_feature_list_returns_every_view_feature_then_every_on_demand_one(
    make_store: MakeStore, at: Clock
) -> None:
    source = pa.table({"k": ["a"], "ts": [at(0)], "v": [10]})
    features = [Feature(name="x", expr="v"), Feature(name="y", expr="v + 1")]
    store = make_store(source, features, on_demand=[OnDemandFeature(name="z", expr="x + y")])

    result = store.get_historical_features(frame(["a"], [at(1)]), timestamp="when")

    assert result is not None
    assert result.to_pylist() == [{"k": "a", "when": at(1), "x": 10, "y": 11, "z": 21}]


def test_on_demand_features_work_with_full_names(make_store: MakeStore, at: Clock) -> None:
    source = pa.table({"k": ["a"], "ts": [at(0)], "v": [10]})
    double = OnDemandFeature(name="double", expr="x * 2")
    store = make_store(source, VALUE, on_demand=[double])

    result = store.get_historical_features(
        frame(["a"], [at(1)]), ["v:x", "double"], timestamp="when", full_names=True
    )

    assert values(result, "double") == [20]


# --- time zones -----------------------------------------------------------------------------


def test_aware_times_join_by_instant_whatever_the_zone(make_store: MakeStore) -> None:
    plus_five = timezone(timedelta(hours=5))
    source = pa.table(
        {
            "k": ["a", "a"],
            "ts": pa.array(
                [datetime(2024, 1, 1, 0, 0, tzinfo=UTC), datetime(2024, 1, 1, 1, 0, tzinfo=UTC)],
                pa.timestamp("us", tz="UTC"),
            ),
            "v": [1, 2],
        }
    )
    store = make_store(source, VALUE)
    # 05:30 at +05:00 is 00:30 UTC: the 01:00 UTC event is still in the future
    entities = pa.table(
        {
            "k": ["a"],
            "when": pa.array(
                [datetime(2024, 1, 1, 5, 30, tzinfo=plus_five)], pa.timestamp("us", tz="+05:00")
            ),
        }
    )

    result = store.get_historical_features(entities, timestamp="when")

    assert values(result, "x") == [1]


@pytest.fixture
def new_york_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB sessions start in New York time, as they do on a machine set to that zone."""
    connect = duckdb.connect

    def connect_in_new_york(*args: Any, **kwargs: Any) -> duckdb.DuckDBPyConnection:
        con = connect(*args, **kwargs)
        con.execute("SET TimeZone = 'America/New_York'")
        return con

    monkeypatch.setattr(duckdb, "connect", connect_in_new_york)


@pytest.mark.usefixtures("new_york_machine")
def test_calendar_parts_of_aware_times_do_not_depend_on_the_machine_time_zone(
    make_store: MakeStore,
) -> None:
    sunday_2am_utc = datetime(2024, 1, 7, 2, 0, tzinfo=UTC)
    utc = pa.timestamp("us", tz="UTC")
    source = pa.table({"k": ["a"], "ts": pa.array([sunday_2am_utc], utc), "v": [1]})
    store = make_store(source, [Feature(name="dow", calendar="dayofweek")])
    entities = pa.table({"k": ["a"], "when": pa.array([sunday_2am_utc], utc)})

    result = store.get_historical_features(entities, timestamp="when")

    assert values(result, "dow") == [7]


@pytest.mark.usefixtures("new_york_machine")
def test_an_aware_entity_time_column_keeps_its_time_zone(make_store: MakeStore) -> None:
    utc = pa.timestamp("us", tz="UTC")
    source = pa.table({"k": ["a"], "ts": pa.array([datetime(2024, 1, 1, tzinfo=UTC)], utc)})
    store = make_store(source.append_column("v", pa.array([1])), VALUE)
    entities = pa.table({"k": ["a"], "when": pa.array([datetime(2024, 1, 2, tzinfo=UTC)], utc)})

    result = store.get_historical_features(entities, timestamp="when")

    assert result is not None
    assert result.schema.field("when").type == utc


def test_a_date_column_in_the_entity_frame_is_read_as_midnight(
    make_store: MakeStore, at: Clock
) -> None:
    source = pa.table({"k": ["a", "a"], "ts": [at(0), at(1)], "v": [1, 2]})
    store = make_store(source, VALUE)
    entities = pa.table({"k": ["a"], "when": pa.array([at(0).date()], pa.date32())})

    result = store.get_historical_features(entities, timestamp="when")

    assert values(result, "x") == [1]


# --- sources and entity frames --------------------------------------------------------------


def test_a_parquet_file_source_is_read_relative_to_base_dir(tmp_path: Path, at: Clock) -> None:
    pq.write_table(
        pa.table({"k": ["a", "a"], "ts": [at(0), at(5)], "v": [1, 2]}), tmp_path / "src.parquet"
    )
    view = FeatureView(
        name="v",
        entities=["k"],
        timestamp="ts",
        source=FileSource(path="src.parquet"),
        features=VALUE,
    )
    store = FeatureStore([view], base_dir=tmp_path)

    result = store.get_historical_features(frame(["a", "a"], [at(3), at(5)]), timestamp="when")

    assert values(result, "x") == [1, 2]


def test_a_parquet_file_source_resolves_duplicates_to_the_later_row(
    tmp_path: Path, at: Clock
) -> None:
    pq.write_table(
        pa.table({"k": ["a", "a", "a"], "ts": [at(5)] * 3, "v": [1, 3, 2]}),
        tmp_path / "src.parquet",
    )
    view = FeatureView(
        name="v",
        entities=["k"],
        timestamp="ts",
        source=FileSource(path="src.parquet"),
        features=VALUE,
    )
    store = FeatureStore([view], base_dir=tmp_path)

    result = store.get_historical_features(frame(["a"], [at(5)]), timestamp="when")

    assert values(result, "x") == [2]


def test_a_parquet_glob_source_resolves_duplicates_to_the_later_file(
    tmp_path: Path, at: Clock
) -> None:
    pq.write_table(pa.table({"k": ["a"], "ts": [at(5)], "v": [2]}), tmp_path / "part-2.parquet")
    pq.write_table(
        pa.table({"k": ["a", "a"], "ts": [at(5), at(5)], "v": [1, 1]}), tmp_path / "part-1.parquet"
    )
    view = FeatureView(
        name="v",
        entities=["k"],
        timestamp="ts",
        source=FileSource(path=str(tmp_path / "part-*.parquet")),
        features=VALUE,
    )
    store = FeatureStore([view])

    result = store.get_historical_features(frame(["a"], [at(5)]), timestamp="when")

    assert values(result, "x") == [2]


def test_a_csv_file_source_is_read(tmp_path: Path, at: Clock) -> None:
    pa_csv.write_csv(
        pa.table({"k": ["a", "b", "a"], "ts": [at(0), at(0), at(5)], "v": [1, 7, 2]}),
        tmp_path / "src.csv",
    )
    view = FeatureView(
        name="v", entities=["k"], timestamp="ts", source=FileSource(path="src.csv"), features=VALUE
    )
    store = FeatureStore([view], base_dir=tmp_path)

    result = store.get_historical_features(
        frame(["a", "b", "a"], [at(3), at(3), at(5)]), timestamp="when"
    )

    assert values(result, "x") == [1, 7, 2]


def test_a_csv_file_source_resolves_duplicates_to_the_later_row(tmp_path: Path, at: Clock) -> None:
    pa_csv.write_csv(
        pa.table({"k": ["a", "a", "a"], "ts": [at(5)] * 3, "v": [1, 2, 3]}), tmp_path / "src.csv"
    )
    view = FeatureView(
        name="v", entities=["k"], timestamp="ts", source=FileSource(path="src.csv"), features=VALUE
    )
    store = FeatureStore([view], base_dir=tmp_path)

    result = store.get_historical_features(frame(["a"], [at(5)]), timestamp="when")

    assert values(result, "x") == [3]


def test_the_entity_frame_may_be_a_parquet_path(
    sales_store: FeatureStore, tmp_path: Path, at: Clock
) -> None:
    entities = pa.table({"store": [2, 1], "ts": [at(3 * DAY), at(DAY)], "label": [1, 0]})
    pq.write_table(entities, tmp_path / "entities.parquet")

    result = sales_store.get_historical_features(tmp_path / "entities.parquet", timestamp="ts")

    assert result is not None
    assert result.select(["store", "ts", "label"]).equals(entities)
    assert values(result, "sales") == [23.0, 11.0]


def test_the_entity_frame_may_be_a_pandas_dataframe(sales_store: FeatureStore, at: Clock) -> None:
    entities = pd.DataFrame(
        {"store": [2, 1], "ts": [at(3 * DAY), at(DAY)], "label": [1, 0]}, index=[10, 3]
    )

    result = sales_store.get_historical_features(entities, timestamp="ts")

    assert result is not None
    assert result.column_names == ["store", "ts", "label", "sales", "promo", "promo_sales"]
    assert values(result, "sales") == [23.0, 11.0]


def test_a_pandas_frame_with_nullable_keys_and_missing_times_gets_null_features(
    sales_store: FeatureStore, at: Clock
) -> None:
    entities = pd.DataFrame(
        {
            "store": pd.array([1, None, 1], dtype="Int64"),
            "ts": [at(DAY), at(DAY), pd.NaT],
        }
    )

    result = sales_store.get_historical_features(entities, ["sales:sales"], timestamp="ts")

    assert values(result, "sales") == [11.0, None, None]


def test_output_streams_the_rows_to_a_parquet_file_and_returns_none(
    sales_store: FeatureStore, tmp_path: Path, at: Clock
) -> None:
    entities = pa.table({"store": [2, 1, 1], "ts": [at(3 * DAY), at(DAY), at(9 * DAY)]})
    target = tmp_path / "train.parquet"

    returned = sales_store.get_historical_features(entities, timestamp="ts", output=target)

    assert returned is None
    assert pq.read_table(target).equals(
        sales_store.get_historical_features(entities, timestamp="ts")
    )


# --- offline and online agree ---------------------------------------------------------------


def test_an_integer_rolling_sum_has_the_same_type_offline_and_online(at: Clock) -> None:
    source = pa.table({"k": ["a", "a"], "ts": [at(0), at(1)], "v": [1, 2]})
    view = FeatureView(
        name="v",
        entities=["k"],
        timestamp="ts",
        source="src",
        features=[Feature(name="total", rolling=Rolling(column="v", window="1m", agg="sum"))],
    )
    store = FeatureStore([view], tables={"src": source}, online_url=f"memory://{uuid.uuid4().hex}")
    store.materialize(end=at(5))

    offline = store.get_historical_features(frame(["a"], [at(5)]), timestamp="when")
    online = store.get_online_features({"k": ["a"]}, now=at(5))

    assert offline is not None
    assert offline.schema.field("total").type == online.schema.field("total").type
