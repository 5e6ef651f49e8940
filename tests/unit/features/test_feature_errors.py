"""Wrong views and wrong entity frames fail with a FeatureError naming the view and the field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from modelfleet.errors import FeatureError
from modelfleet.features import (
    Feature,
    FeatureStore,
    FeatureView,
    FileSource,
    Lag,
    OnDemandFeature,
    Rolling,
)

Clock = Callable[..., datetime]
MakeStore = Callable[..., FeatureStore]
VALUE = [Feature(name="x", expr="v")]


@pytest.fixture
def source(at: Clock) -> pa.Table:
    """Columns of every kind a view may misuse."""
    return pa.table(
        {
            "k": ["a", "b"],
            "ts": [at(0), at(5)],
            "v": [1, 4],
            "label": ["x", "y"],
            "ratio": [0.5, 1.5],
            "flag": [True, False],
            "day_text": ["2024-01-01", "2024-01-02"],
        }
    )


@pytest.fixture
def entities(at: Clock) -> pa.Table:
    return pa.table({"k": ["a"], "when": [at(10)]})


def retrieve(store: FeatureStore, entities: Any, **options: Any) -> pa.Table | None:
    return store.get_historical_features(entities, timestamp="when", **options)


# --- the view against its source ------------------------------------------------------------


def test_an_expr_over_a_missing_column_names_the_view_the_feature_and_the_column(
    make_store: MakeStore, source: pa.Table, entities: pa.Table
) -> None:
    store = make_store(source, [Feature(name="x", expr="v"), Feature(name="y", expr="nope + 1")])

    with pytest.raises(
        FeatureError, match=r"feature view 'v': features\.y\.expr 'nope \+ 1'"
    ) as info:
        retrieve(store, entities)

    assert "nope" in str(info.value).split("source:", 1)[1]


def test_an_expr_that_is_not_sql_names_the_view_and_the_feature(
    make_store: MakeStore, source: pa.Table, entities: pa.Table
) -> None:
    store = make_store(source, [Feature(name="broken", expr="v +")])

    with pytest.raises(FeatureError, match=r"feature view 'v': features\.broken\.expr 'v \+'"):
        retrieve(store, entities)


@pytest.mark.parametrize(
    ("field", "options", "features"),
    [
        (
            "features.lagged.lag.column",
            {},
            [Feature(name="lagged", lag=Lag(column="gone", by="1s"))],
        ),
        (
            "features.rolled.rolling.column",
            {},
            [Feature(name="rolled", rolling=Rolling(column="gone", window="1s"))],
        ),
        ("timestamp", {"timestamp": "gone"}, VALUE),
        ("entities", {"entities": ["gone"]}, VALUE),
        ("created_timestamp", {"created_timestamp": "gone"}, VALUE),
    ],
)
def test_a_field_naming_a_missing_column_names_view_field_column_and_known_columns(
    make_store: MakeStore,
    source: pa.Table,
    entities: pa.Table,
    field: str,
    options: dict[str, Any],
    features: list[Feature],
) -> None:
    store = make_store(source, features, **options)

    with pytest.raises(FeatureError) as info:
        retrieve(store, entities)

    message = str(info.value)
    assert message.startswith(f"feature view 'v': {field} refers to column 'gone'")
    assert "'ratio'" in message  # the source's own columns are listed...
    assert "__mf" not in message  # ...not the store's bookkeeping ones


def test_a_numeric_rolling_aggregate_of_text_names_the_feature_and_the_type(
    make_store: MakeStore, source: pa.Table, entities: pa.Table
) -> None:
    feature = Feature(name="avg_label", rolling=Rolling(column="label", window="1m", agg="mean"))
    store = make_store(source, [feature])

    with pytest.raises(FeatureError, match=r"'v': features\.avg_label\.rolling .*VARCHAR"):
        retrieve(store, entities)


def test_min_and_max_of_text_are_allowed(
    make_store: MakeStore, source: pa.Table, entities: pa.Table
) -> None:
    feature = Feature(name="top", rolling=Rolling(column="label", window="1m", agg="max"))
    store = make_store(source, [feature])

    result = retrieve(store, entities)

    assert result is not None
    assert result["top"].to_pylist() == ["x"]


def test_a_mean_of_booleans_is_an_error_naming_the_feature(
    make_store: MakeStore, source: pa.Table, entities: pa.Table
) -> None:
    feature = Feature(name="flag_rate", rolling=Rolling(column="flag", window="1m", agg="mean"))
    store = make_store(source, [feature])

    try:
        result = retrieve(store, entities)
    except FeatureError as exc:
        assert "features.flag_rate.rolling" in str(exc)
    else:  # or the booleans are averaged as 0/1
        assert result is not None
        assert result["flag_rate"].to_pylist() == [1.0]


def test_a_text_timestamp_column_in_the_view_is_rejected_with_its_type(
    make_store: MakeStore, source: pa.Table, entities: pa.Table
) -> None:
    store = make_store(source, VALUE, timestamp="day_text")

    with pytest.raises(
        FeatureError, match=r"feature view 'v': timestamp 'day_text' has type VARCHAR"
    ):
        retrieve(store, entities)


def test_an_entity_key_that_is_neither_integer_nor_text_is_rejected(
    make_store: MakeStore, source: pa.Table, entities: pa.Table
) -> None:
    store = make_store(source, VALUE, entities=["ratio"])

    with pytest.raises(
        FeatureError, match=r"feature view 'v': entity column 'ratio' has type DOUBLE"
    ):
        retrieve(store, entities)


def test_an_unknown_in_memory_source_lists_the_known_ones(entities: pa.Table) -> None:
    view = FeatureView(name="v", entities=["k"], timestamp="ts", source="nowhere", features=VALUE)
    store = FeatureStore([view], tables={"sales": pa.table({"k": ["a"]})})

    with pytest.raises(FeatureError, match=r"feature view 'v': source 'nowhere'.*\['sales'\]"):
        retrieve(store, entities)


def test_a_missing_source_file_names_the_view_and_the_path(
    tmp_path: Path, entities: pa.Table
) -> None:
    view = FeatureView(
        name="v",
        entities=["k"],
        timestamp="ts",
        source=FileSource(path="gone.parquet"),
        features=VALUE,
    )
    store = FeatureStore([view], base_dir=tmp_path)

    with pytest.raises(FeatureError, match=r"feature view 'v': source file .*gone\.parquet"):
        retrieve(store, entities)


# --- the entity frame against the views -----------------------------------------------------


def test_an_entity_frame_without_the_view_key_names_the_view_and_the_key(
    make_store: MakeStore, source: pa.Table, at: Clock
) -> None:
    store = make_store(source, VALUE)

    with pytest.raises(FeatureError, match=r"feature view 'v' is keyed by 'k', which the entity"):
        retrieve(store, pa.table({"store": ["a"], "when": [at(1)]}))


def test_an_entity_frame_without_the_timestamp_column_names_it(
    make_store: MakeStore, source: pa.Table, at: Clock
) -> None:
    store = make_store(source, VALUE)

    with pytest.raises(FeatureError, match=r"no timestamp column 'when'"):
        retrieve(store, pa.table({"k": ["a"], "ts": [at(1)]}))


def test_an_entity_key_of_another_kind_names_the_view_the_key_and_both_types(
    make_store: MakeStore, source: pa.Table, at: Clock
) -> None:
    store = make_store(source, VALUE)

    with pytest.raises(
        FeatureError, match=r"feature view 'v': entity key 'k' is VARCHAR in the view but BIGINT"
    ):
        retrieve(store, pa.table({"k": [1], "when": [at(1)]}))


def test_integer_keys_of_different_widths_match(make_store: MakeStore, at: Clock) -> None:
    store = make_store(pa.table({"k": pa.array([7], pa.int64()), "ts": [at(0)], "v": [1]}), VALUE)

    result = retrieve(store, pa.table({"k": pa.array([7], pa.int16()), "when": [at(1)]}))

    assert result is not None
    assert result["x"].to_pylist() == [1]


def test_a_text_timestamp_in_the_entity_frame_is_rejected_with_its_type(
    make_store: MakeStore, source: pa.Table
) -> None:
    store = make_store(source, VALUE)

    with pytest.raises(
        FeatureError, match=r"entity frame: timestamp column 'when' has type VARCHAR"
    ):
        retrieve(store, pa.table({"k": ["a"], "when": ["2024-01-01"]}))


def test_a_naive_frame_against_an_aware_view_names_the_view_and_both_columns(
    make_store: MakeStore, at: Clock
) -> None:
    aware = pa.table(
        {
            "k": ["a"],
            "ts": pa.array([at(0).replace(tzinfo=UTC)], pa.timestamp("us", "UTC")),
            "v": [1],
        }
    )
    store = make_store(aware, VALUE)

    with pytest.raises(
        FeatureError,
        match=r"feature view 'v': its timestamp 'ts' is time-zone aware but the entity frame's "
        r"'when' is naive",
    ):
        retrieve(store, pa.table({"k": ["a"], "when": [at(1)]}))


def test_an_aware_frame_against_a_naive_view_names_the_view_and_both_columns(
    make_store: MakeStore, source: pa.Table, at: Clock
) -> None:
    store = make_store(source, VALUE)
    aware = pa.array([at(1).replace(tzinfo=UTC)], pa.timestamp("us", "UTC"))

    with pytest.raises(
        FeatureError,
        match=r"feature view 'v': its timestamp 'ts' is naive but the entity frame's 'when' is "
        r"time-zone aware",
    ):
        retrieve(store, pa.table({"k": ["a"], "when": aware}))


def test_a_pandas_time_column_mixing_naive_and_aware_values_is_rejected(
    make_store: MakeStore, source: pa.Table, at: Clock
) -> None:
    store = make_store(source, VALUE)
    mixed = pd.DataFrame(
        {"k": ["a", "a"], "when": [at(1), at(1).replace(tzinfo=timezone(timedelta(hours=5)))]}
    )

    with pytest.raises(FeatureError, match="'when'"):
        retrieve(store, mixed)


def test_a_feature_named_like_an_entity_frame_column_asks_for_full_names(
    make_store: MakeStore, source: pa.Table, at: Clock
) -> None:
    store = make_store(source, VALUE)

    with pytest.raises(FeatureError, match=r"feature view 'v': features \['x'\].*full names"):
        retrieve(store, pa.table({"k": ["a"], "when": [at(1)], "x": [0]}))


def test_the_reserved_row_column_in_the_entity_frame_is_rejected(
    make_store: MakeStore, source: pa.Table, at: Clock
) -> None:
    store = make_store(source, VALUE)

    with pytest.raises(FeatureError, match="__mf_row"):
        retrieve(store, pa.table({"k": ["a"], "when": [at(1)], "__mf_row": [0]}))


def test_a_missing_entity_frame_file_is_named(
    make_store: MakeStore, source: pa.Table, tmp_path: Path
) -> None:
    store = make_store(source, VALUE)

    with pytest.raises(FeatureError, match=r"entity frame file .*absent\.parquet does not exist"):
        retrieve(store, tmp_path / "absent.parquet")


def test_an_unconvertible_pandas_frame_is_a_feature_error(
    make_store: MakeStore, source: pa.Table, at: Clock
) -> None:
    store = make_store(source, VALUE)
    odd = pd.DataFrame({"k": ["a", 1], "when": [at(1), at(1)]})

    with pytest.raises(FeatureError, match="entity frame could not be converted to Arrow"):
        retrieve(store, odd)


def test_an_entity_frame_of_an_unsupported_type_is_a_feature_error(
    make_store: MakeStore, source: pa.Table
) -> None:
    store = make_store(source, VALUE)

    with pytest.raises(FeatureError, match="pyarrow Table, a pandas DataFrame or a Parquet path"):
        retrieve(store, [{"k": "a"}])


# --- on-demand features ---------------------------------------------------------------------


def test_an_on_demand_expr_over_an_unknown_column_names_the_feature(
    make_store: MakeStore, source: pa.Table, entities: pa.Table
) -> None:
    store = make_store(source, VALUE, on_demand=[OnDemandFeature(name="odd", expr="x + nope")])

    with pytest.raises(FeatureError, match=r"on-demand feature 'odd': expr 'x \+ nope'"):
        retrieve(store, entities)


def test_an_on_demand_feature_sees_only_the_features_asked_for(
    make_store: MakeStore, source: pa.Table, entities: pa.Table
) -> None:
    features = [Feature(name="x", expr="v"), Feature(name="y", expr="v")]
    store = make_store(source, features, on_demand=[OnDemandFeature(name="z", expr="y + 1")])

    with pytest.raises(FeatureError, match=r"on-demand feature 'z'"):
        retrieve(store, entities, features=["x", "z"])


# --- the store itself -----------------------------------------------------------------------


def test_two_views_with_one_name_are_rejected() -> None:
    view = FeatureView(name="v", entities=["k"], timestamp="ts", source="src", features=VALUE)

    with pytest.raises(FeatureError, match=r"names must be unique; repeated: \['v'\]"):
        FeatureStore([view, view])


def test_an_unknown_view_name_lists_the_known_views(sales_store: FeatureStore) -> None:
    with pytest.raises(
        FeatureError, match=r"no feature view named 'nope'; known views: \['sales'\]"
    ):
        sales_store.view("nope")


def test_materializing_without_an_online_store_says_how_to_configure_one(
    sales_store: FeatureStore,
) -> None:
    with pytest.raises(FeatureError, match="online_url="):
        sales_store.materialize()
