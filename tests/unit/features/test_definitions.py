"""Feature view definitions: validation, durations, versions and the fleet spec's blocks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from modelfleet.config.feature_blocks import format_duration, parse_duration
from modelfleet.config.spec import load_spec, parse_spec
from modelfleet.errors import ConfigError
from modelfleet.features import (
    Feature,
    FeatureStore,
    FeatureView,
    FileSource,
    Lag,
    OnDemandFeature,
    Rolling,
)


def view(**changes: Any) -> FeatureView:
    """A valid view with every kind of feature; ``changes`` replace its fields."""
    body: dict[str, Any] = {
        "name": "sales",
        "entities": ["store"],
        "timestamp": "ts",
        "ttl": "30d",
        "features": [
            {"name": "sales", "expr": "sales", "description": "units sold"},
            {"name": "lag_7", "lag": {"column": "sales", "by": "7d"}},
            {"name": "mean_28", "rolling": {"column": "sales", "window": "28d"}},
            {"name": "dow", "calendar": "dayofweek"},
        ],
    }
    body.update(changes)
    return FeatureView.model_validate(body)


def feature_body(index: int, **changes: Any) -> list[dict[str, Any]]:
    """The features of ``view()`` with the ``index``-th one's fields replaced."""
    features = [dict(f) for f in view().model_dump(exclude_none=True)["features"]]
    features[index] = {**features[index], **changes}
    return features


# --- features -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kinds",
    [
        {},
        {"expr": "a", "lag": {"column": "a", "by": "1d"}},
        {"expr": "a", "calendar": "month"},
        {"lag": {"column": "a", "by": "1d"}, "rolling": {"column": "a", "window": "2d"}},
    ],
    ids=["none", "expr+lag", "expr+calendar", "lag+rolling"],
)
def test_a_feature_must_set_exactly_one_of_expr_lag_rolling_calendar(
    kinds: dict[str, Any],
) -> None:
    with pytest.raises(
        ValidationError, match="must set exactly one of expr, lag, rolling or calendar"
    ):
        Feature.model_validate({"name": "f", **kinds})


@pytest.mark.parametrize(
    ("feature", "kind"),
    [
        (Feature(name="f", expr="a"), "expr"),
        (Feature(name="f", lag=Lag(column="a", by="1d")), "lag"),
        (Feature(name="f", rolling=Rolling(column="a", window="1d")), "rolling"),
        (Feature(name="f", calendar="month"), "calendar"),
    ],
)
def test_a_feature_reports_its_kind(feature: Feature, kind: str) -> None:
    assert feature.kind == kind


def test_a_blank_expr_is_rejected() -> None:
    with pytest.raises(ValidationError, match="expr is empty"):
        Feature(name="f", expr="  ")


def test_an_unknown_calendar_part_is_rejected() -> None:
    with pytest.raises(ValidationError, match="calendar"):
        Feature.model_validate({"name": "f", "calendar": "fortnight"})


def test_a_rolling_window_must_be_longer_than_zero() -> None:
    with pytest.raises(ValidationError, match="longer than zero"):
        Rolling(column="a", window="0s")


def test_a_rolling_aggregate_defaults_to_the_mean() -> None:
    assert Rolling(column="a", window="1d").agg == "mean"


def test_an_unknown_rolling_aggregate_is_rejected() -> None:
    with pytest.raises(ValidationError, match="agg"):
        Rolling.model_validate({"column": "a", "window": "1d", "agg": "median"})


@pytest.mark.parametrize("name", ["1st", "with space", "dash-ed", "a" * 64, ""])
def test_a_feature_name_must_be_a_column_identifier(name: str) -> None:
    with pytest.raises(ValidationError, match="not a valid feature name"):
        Feature(name=name, expr="a")


def test_unknown_keys_are_rejected_not_ignored() -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Feature.model_validate({"name": "f", "expr": "a", "exprs": "b"})


# --- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("2w", timedelta(weeks=2)),
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("250ms", timedelta(milliseconds=250)),
        ("7us", timedelta(microseconds=7)),
        ("0s", timedelta(0)),
        (" 3 d ", timedelta(days=3)),
    ],
)
def test_durations_parse_from_a_whole_number_and_a_unit(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_a_timedelta_is_taken_as_it_is() -> None:
    assert parse_duration(timedelta(hours=5, microseconds=3)) == timedelta(hours=5, microseconds=3)


@pytest.mark.parametrize("text", ["30", "d", "1.5h", "-1d", "30D", "30 days", "1y", "", "P1D"])
def test_malformed_duration_text_is_rejected_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a duration: write a whole number and a unit"):
        parse_duration(text)


@pytest.mark.parametrize("value", [30, 1.5, None])
def test_a_duration_that_is_not_text_is_rejected(value: object) -> None:
    with pytest.raises(ValueError, match="write it as text"):
        parse_duration(value)


def test_a_negative_timedelta_is_rejected() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        parse_duration(timedelta(seconds=-1))


def test_a_bad_ttl_in_a_view_names_the_field() -> None:
    with pytest.raises(ValidationError, match=r"ttl\n.*'a month' is not a duration"):
        view(ttl="a month")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(weeks=3), "3w"),
        (timedelta(days=8), "8d"),
        (timedelta(hours=36), "36h"),
        (timedelta(seconds=90), "90s"),
        (timedelta(milliseconds=1500), "1500ms"),
        (timedelta(microseconds=1001), "1001us"),
    ],
)
def test_a_duration_is_written_as_its_shortest_exact_text(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


def test_a_view_dumps_its_durations_as_text() -> None:
    dumped = view(ttl=timedelta(days=14)).model_dump(mode="json")

    assert dumped["ttl"] == "2w"
    assert dumped["features"][1]["lag"]["by"] == "1w"


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=100 * 365 * 86400 * 10**6))
def test_writing_then_parsing_a_duration_gives_it_back(micros: int) -> None:
    value = timedelta(microseconds=micros)

    assert parse_duration(format_duration(value)) == value


def test_a_large_microsecond_duration_parses_exactly() -> None:
    value = timedelta(days=200_000, microseconds=1)

    assert parse_duration(format_duration(value)) == value


# --- views ----------------------------------------------------------------------------------


def test_feature_names_must_be_unique_within_a_view() -> None:
    features = [{"name": "a", "expr": "x"}, {"name": "b", "expr": "y"}, {"name": "a", "expr": "z"}]

    with pytest.raises(ValidationError, match=r"unique within the view; repeated: \['a'\]"):
        view(features=features)


@pytest.mark.parametrize("name", ["store", "ts"])
def test_a_feature_may_not_reuse_an_entity_or_timestamp_name(name: str) -> None:
    with pytest.raises(ValidationError, match=rf"features \['{name}'\] reuse the name"):
        view(features=[{"name": name, "expr": "x"}])


def test_entities_may_not_repeat_a_column() -> None:
    with pytest.raises(ValidationError, match="repeat a column"):
        view(entities=["store", "store"])


@pytest.mark.parametrize("field", ["entities", "features"])
def test_a_view_needs_at_least_one_entity_and_one_feature(field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        view(**{field: []})


@pytest.mark.parametrize("name", ["_private", "9lives", "has space", "x" * 64])
def test_a_view_name_must_start_with_a_letter_and_be_an_identifier(name: str) -> None:
    with pytest.raises(ValidationError, match="not a valid feature view name"):
        view(name=name)


def test_a_view_reads_the_fleet_data_unless_told_otherwise() -> None:
    assert view().source == "fleet"


def test_a_view_lists_its_feature_names_in_declaration_order() -> None:
    assert view().feature_names == ("sales", "lag_7", "mean_28", "dow")


@pytest.mark.parametrize(
    ("path", "declared", "expected"),
    [
        ("data/sales.parquet", None, "parquet"),
        ("data/part-*", None, "parquet"),
        ("data/sales.csv", None, "csv"),
        ("data/sales.CSV.gz", None, "csv"),
        ("data/sales.tsv", None, "csv"),
        ("data/sales.dat", "csv", "csv"),
    ],
)
def test_a_file_source_format_comes_from_its_suffix_unless_declared(
    path: str, declared: str | None, expected: str
) -> None:
    assert FileSource.model_validate({"path": path, "format": declared}).file_format == expected


# --- versions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changed",
    [
        {"features": feature_body(0, expr="sales * 2")},
        {"features": feature_body(1, lag={"column": "sales", "by": "14d"})},
        {"features": feature_body(2, rolling={"column": "sales", "window": "28d", "agg": "sum"})},
        {"features": feature_body(3, calendar="month")},
        {"features": feature_body(0, name="units")},
        {"features": feature_body(0)[:3]},
        {"ttl": "31d"},
        {"ttl": None},
        {"timestamp": "event_ts"},
        {"entities": ["store", "region"]},
        {"created_timestamp": "loaded_at"},
        {"source": {"path": "sales.parquet"}},
    ],
    ids=[
        "expr",
        "lag",
        "rolling-agg",
        "calendar",
        "feature-name",
        "feature-dropped",
        "ttl",
        "ttl-removed",
        "timestamp",
        "entities",
        "created_timestamp",
        "source",
    ],
)
def test_the_version_changes_when_the_definition_changes(changed: dict[str, Any]) -> None:
    assert view(**changed).version != view().version


def test_the_version_ignores_descriptions() -> None:
    described = view(
        description="a new view description",
        features=feature_body(2, description="the 4-week mean"),
    )

    assert described.version == view().version


def test_the_version_is_the_same_however_a_duration_is_written() -> None:
    assert view(ttl="720h").version == view(ttl=timedelta(days=30)).version == view().version


def test_the_version_is_a_short_hex_digest() -> None:
    version = view().version

    assert len(version) == 12
    assert int(version, 16) >= 0


# --- on-demand features ---------------------------------------------------------------------


def test_an_on_demand_feature_name_must_be_an_identifier() -> None:
    with pytest.raises(ValidationError, match="not a valid on-demand feature name"):
        OnDemandFeature(name="a-b", expr="1")


# --- the fleet spec -------------------------------------------------------------------------

SPEC_VIEW: dict[str, Any] = {
    "name": "store_stats",
    "entities": ["store"],
    "timestamp": "ts",
    "source": {"path": "stats.parquet"},
    "ttl": "30d",
    "features": [
        {"name": "footfall", "expr": "visitors"},
        {"name": "footfall_7d", "rolling": {"column": "visitors", "window": "1w", "agg": "sum"}},
    ],
}


def parse(body: dict[str, Any], base_dir: Path) -> Any:
    return parse_spec(body, base_dir=base_dir, file_label="fleet.yaml")


def test_a_spec_feature_views_block_builds_the_same_views_as_python(
    fleet_body: dict[str, Any], tmp_path: Path
) -> None:
    fleet_body["feature_views"] = [SPEC_VIEW]

    spec = parse(fleet_body, tmp_path)

    assert spec.feature_views == (
        FeatureView(
            name="store_stats",
            entities=["store"],
            timestamp="ts",
            source=FileSource(path="stats.parquet"),
            ttl=timedelta(days=30),
            features=[
                Feature(name="footfall", expr="visitors"),
                Feature(
                    name="footfall_7d", rolling=Rolling(column="visitors", window="7d", agg="sum")
                ),
            ],
        ),
    )


def test_a_spec_on_demand_block_builds_on_demand_features(
    fleet_body: dict[str, Any], tmp_path: Path
) -> None:
    fleet_body["on_demand_features"] = [{"name": "double", "expr": "footfall * 2"}]

    spec = parse(fleet_body, tmp_path)

    assert spec.on_demand_features == (OnDemandFeature(name="double", expr="footfall * 2"),)


@pytest.mark.parametrize("ref", ["store_stats:footfall", "store_stats:*"])
def test_features_views_may_name_one_feature_or_all_of_a_view(
    fleet_body: dict[str, Any], tmp_path: Path, ref: str
) -> None:
    fleet_body["feature_views"] = [SPEC_VIEW]
    fleet_body["features"]["views"] = [ref]

    spec = parse(fleet_body, tmp_path)

    assert spec.features.views == (ref,)


def test_features_views_naming_an_undeclared_view_is_a_config_error(
    fleet_body: dict[str, Any], tmp_path: Path
) -> None:
    fleet_body["feature_views"] = [SPEC_VIEW]
    fleet_body["features"]["views"] = ["weather:temp"]

    with pytest.raises(ConfigError, match=r"'weather:temp' names view 'weather', which is not"):
        parse(fleet_body, tmp_path)


def test_features_views_naming_an_unknown_feature_is_a_config_error(
    fleet_body: dict[str, Any], tmp_path: Path
) -> None:
    fleet_body["feature_views"] = [SPEC_VIEW]
    fleet_body["features"]["views"] = ["store_stats:sales"]

    with pytest.raises(ConfigError, match=r"view 'store_stats' has no feature 'sales'"):
        parse(fleet_body, tmp_path)


def test_two_spec_views_with_one_name_are_a_config_error(
    fleet_body: dict[str, Any], tmp_path: Path
) -> None:
    fleet_body["feature_views"] = [SPEC_VIEW, SPEC_VIEW]

    with pytest.raises(ConfigError, match=r"feature_views: names must be unique"):
        parse(fleet_body, tmp_path)


def test_two_spec_on_demand_features_with_one_name_are_a_config_error(
    fleet_body: dict[str, Any], tmp_path: Path
) -> None:
    fleet_body["on_demand_features"] = [{"name": "d", "expr": "1"}, {"name": "d", "expr": "2"}]

    with pytest.raises(ConfigError, match=r"on_demand_features: names must be unique"):
        parse(fleet_body, tmp_path)


def test_an_invalid_spec_view_names_the_path_to_the_bad_field(
    fleet_body: dict[str, Any], tmp_path: Path
) -> None:
    bad = {**SPEC_VIEW, "features": [{"name": "f", "lag": {"column": "visitors", "by": "a week"}}]}
    fleet_body["feature_views"] = [bad]

    with pytest.raises(ConfigError, match=r"feature_views\.0\.features\.0\.lag\.by: .*a week"):
        parse(fleet_body, tmp_path)


def test_a_loaded_spec_serves_its_views_with_file_sources_beside_the_spec(
    fleet_body: dict[str, Any],
    write_fleet_yaml: Callable[[dict[str, Any]], Path],
    tmp_path: Path,
    at: Callable[..., datetime],
) -> None:
    day = 86400
    pq.write_table(
        pa.table({"store": [1, 1, 1], "ts": [at(0), at(day), at(9 * day)], "visitors": [5, 7, 11]}),
        tmp_path / "stats.parquet",
    )
    fleet_body["feature_views"] = [SPEC_VIEW]
    fleet_body["on_demand_features"] = [{"name": "double", "expr": "footfall * 2"}]
    spec = load_spec(write_fleet_yaml(fleet_body))
    store = FeatureStore.from_spec(spec)
    entities = pa.table({"store": [1, 1], "when": [at(day), at(9 * day)]})

    result = store.get_historical_features(entities, timestamp="when")

    assert result is not None
    assert result.select(["footfall", "footfall_7d", "double"]).to_pylist() == [
        {"footfall": 7, "footfall_7d": 12, "double": 14},
        {"footfall": 11, "footfall_7d": 11, "double": 22},
    ]
