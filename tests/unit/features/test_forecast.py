"""The pipeline's training rows come from point-in-time retrieval as of each forecast origin."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelfleet.config.spec import FleetSpec, parse_spec
from modelfleet.data.canonical import TENANT_COLUMN
from modelfleet.features.forecast import HISTORY_VIEW, build_forecast_features, history_view

START = np.datetime64("2024-01-01", "D")
HORIZON = 3


def fleet_spec(tmp_path: Path, **features: Any) -> FleetSpec:
    """A daily spec with a 3-day horizon; ``features`` replaces the features block."""
    body: dict[str, Any] = {
        "name": "unit-fleet",
        "schema": {
            "tenant_key": "store",
            "timestamp": "date",
            "target": "sales",
            "frequency": "D",
            "columns": {"promo": "int"},
        },
        "sources": [{"name": "sales", "path": "sales.csv"}],
        "features": features
        or {"lags": [3, 5], "rolling": [{"window": 2, "stats": ["mean", "sum"]}], "calendar": []},
        "validation": {"horizon": HORIZON, "min_train_periods": 3},
    }
    extra = body["features"].pop("_views", None)
    if extra:
        body["feature_views"] = extra
    return parse_spec(body, environment=None, base_dir=tmp_path, file_label="fleet.yaml")


def fleet_table(days: dict[str, list[int]]) -> pa.Table:
    """Rows for each tenant's days; sales = 1000 * tenant index + day, promo = day % 2."""
    tenants, dates, sales, promo = [], [], [], []
    for index, (tenant, tenant_days) in enumerate(days.items()):
        for day in tenant_days:
            tenants.append(tenant)
            dates.append(START + day)
            sales.append(1000.0 * index + day)
            promo.append(day % 2)
    return pa.table(
        {
            TENANT_COLUMN: tenants,
            "date": pa.array(np.array(dates, dtype="datetime64[D]")).cast(pa.timestamp("us")),
            "sales": sales,
            "promo": promo,
        }
    )


def column(table: pa.Table, name: str) -> list[Any]:
    return table[name].to_pylist()


def test_history_view_reads_a_lag_of_k_periods_as_k_minus_horizon_before_the_origin(
    tmp_path: Path,
) -> None:
    spec = fleet_spec(tmp_path, lags=[3, 10], calendar=[])
    view = history_view(
        spec.features, timestamp="date", target="sales", horizon=HORIZON, frequency="W"
    )
    assert view is not None
    lags = {f.name: f.lag.by for f in view.features if f.lag is not None}
    assert lags == {"lag_3": timedelta(0), "lag_10": timedelta(days=7 * 7)}


def test_history_view_is_none_without_target_features(tmp_path: Path) -> None:
    spec = fleet_spec(tmp_path, lags=[], calendar=["month"])
    assert (
        history_view(spec.features, timestamp="date", target="sales", horizon=3, frequency="D")
        is None
    )


def test_lags_equal_the_target_k_days_before_each_row(tmp_path: Path) -> None:
    spec = fleet_spec(tmp_path)
    data = fleet_table({"a": list(range(20)), "b": list(range(20))})
    result = build_forecast_features(data, spec, frequency="D").table
    day = (result["date"].to_numpy() - START.astype("datetime64[us]")) // np.timedelta64(1, "D")
    offset = np.where(np.array(column(result, TENANT_COLUMN)) == "a", 0.0, 1000.0)
    expected_lag5 = [None if d < 5 else o + d - 5 for d, o in zip(day, offset, strict=True)]
    assert column(result, "lag_5") == expected_lag5
    expected_lag3 = [None if d < 3 else o + d - 3 for d, o in zip(day, offset, strict=True)]
    assert column(result, "lag_3") == expected_lag3


def test_rolling_windows_end_at_the_forecast_origin(tmp_path: Path) -> None:
    spec = fleet_spec(tmp_path)
    result = build_forecast_features(fleet_table({"a": list(range(10))}), spec, frequency="D")
    table = result.table
    # Row of day 8: origin is day 5, window of 2 days = days 4 and 5.
    row = column(table, "date").index((START + 8).astype("datetime64[us]").item())
    assert column(table, "roll_2_sum")[row] == 9.0
    assert column(table, "roll_2_mean")[row] == 4.5
    # Day 3's origin is day 0: only one day in the window so far.
    row = column(table, "date").index((START + 3).astype("datetime64[us]").item())
    assert column(table, "roll_2_sum")[row] == 0.0


def test_rows_whose_origin_precedes_all_history_get_null_target_features(tmp_path: Path) -> None:
    spec = fleet_spec(tmp_path)
    table = build_forecast_features(fleet_table({"a": list(range(10))}), spec, frequency="D").table
    first_three = table.slice(0, 3)
    assert column(first_three, "roll_2_sum") == [None, None, None]
    assert column(first_three, "lag_3") == [None, None, None]


def test_a_missing_origin_day_uses_the_latest_known_state_before_it(tmp_path: Path) -> None:
    spec = fleet_spec(tmp_path)
    days = [d for d in range(12) if d != 6]  # day 6 missing: the origin of day 9
    table = build_forecast_features(fleet_table({"a": days}), spec, frequency="D").table
    row = column(table, "date").index((START + 9).astype("datetime64[us]").item())
    # As of day 6 the latest row is day 5: lag_3 = its own value, lag_5 = two days earlier.
    assert column(table, "lag_3")[row] == 5.0
    assert column(table, "lag_5")[row] == 3.0


def test_a_state_older_than_the_longest_lag_is_dropped(tmp_path: Path) -> None:
    spec = fleet_spec(tmp_path)  # longest lag 5 days: that is the history view's TTL
    days = [0, 1, 2, 20, 21]
    table = build_forecast_features(fleet_table({"a": days}), spec, frequency="D").table
    row = column(table, "date").index((START + 20).astype("datetime64[us]").item())
    # Origin day 17; the latest row (day 2) is 15 days old, past the 5-day TTL.
    assert column(table, "lag_3")[row] is None


def test_calendar_and_covariates_come_from_the_row_itself(tmp_path: Path) -> None:
    spec = fleet_spec(tmp_path, lags=[3], calendar=["dayofweek", "day"], covariates=["promo"])
    table = build_forecast_features(fleet_table({"a": list(range(8))}), spec, frequency="D").table
    assert column(table, "cal_day") == list(range(1, 9))
    assert column(table, "cal_dayofweek")[0] == 1  # 2024-01-01 is a Monday
    assert column(table, "promo") == [d % 2 for d in range(8)]


def test_feature_columns_list_history_then_calendar_then_covariates(tmp_path: Path) -> None:
    spec = fleet_spec(tmp_path, lags=[3], calendar=["day"], covariates=["promo"])
    result = build_forecast_features(fleet_table({"a": list(range(8))}), spec, frequency="D")
    assert result.feature_columns == ("lag_3", "cal_day", "promo")
    assert result.table.column_names[:3] == [TENANT_COLUMN, "date", "sales"]
    assert result.view_versions[0][0] == HISTORY_VIEW


def test_rows_come_back_sorted_by_tenant_and_time(tmp_path: Path) -> None:
    spec = fleet_spec(tmp_path)
    data = fleet_table({"b": list(range(6)), "a": list(range(6))})
    shuffled = data.take(np.random.default_rng(3).permutation(data.num_rows))
    table = build_forecast_features(shuffled, spec, frequency="D").table
    keys = list(zip(column(table, TENANT_COLUMN), column(table, "date"), strict=True))
    assert keys == sorted(keys)


def test_a_user_view_joins_as_of_the_origin_and_never_later(tmp_path: Path) -> None:
    prices = pa.table(
        {
            "tenant": ["a"] * 10,
            "day": pa.array((START + np.arange(10)).astype("datetime64[us]")),
            "price": [float(10 + d) for d in range(10)],
        }
    )
    pq.write_table(prices, tmp_path / "prices.parquet")
    view = {
        "name": "prices",
        "entities": ["tenant"],
        "timestamp": "day",
        "source": {"path": "prices.parquet"},
        "features": [{"name": "price", "expr": "price"}],
    }
    spec = fleet_spec(tmp_path, lags=[3], calendar=[], views=["prices:price"], _views=[view])
    table = build_forecast_features(fleet_table({"a": list(range(10))}), spec, frequency="D").table
    day_to_price = dict(zip(column(table, "date"), column(table, "price"), strict=True))
    row_day = (START + 7).astype("datetime64[us]").item()
    assert day_to_price[row_day] == 14.0  # origin day 4, not the price of day 7


@pytest.mark.parametrize("missing", ["prices:cost", "nowhere:price"])
def test_spec_refuses_feature_view_refs_that_do_not_exist(tmp_path: Path, missing: str) -> None:
    from modelfleet.errors import ConfigError

    view = {
        "name": "prices",
        "entities": ["tenant"],
        "timestamp": "day",
        "source": {"path": "prices.parquet"},
        "features": [{"name": "price", "expr": "price"}],
    }
    with pytest.raises(ConfigError, match=r"features\.views"):
        fleet_spec(tmp_path, lags=[3], views=[missing], _views=[view])
