"""Forecasting features computed in DuckDB for all tenants at once, without leakage.

Target-derived features only look at values at least ``validation.horizon`` periods back, so
every feature of a holdout row is known at the forecast origin. Lags and rolling windows are
defined on the calendar (``RANGE`` frames over the timestamp), not on row offsets, so gaps in a
tenant's history (a store closed for refurbishment) never shift a lag onto the wrong day.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa

from modelfleet.config.spec import FeaturesSpec, Frequency
from modelfleet.data.canonical import TENANT_COLUMN

PERIOD_DAYS: dict[str, int] = {"D": 1, "W": 7}

_CALENDAR_SQL = {
    "dayofweek": "isodow({ts})",
    "day": "day({ts})",
    "month": "month({ts})",
    "weekofyear": "weekofyear({ts})",
    "dayofyear": "dayofyear({ts})",
    "year": "year({ts})",
    "quarter": "quarter({ts})",
    "is_weekend": "CAST(isodow({ts}) >= 6 AS INTEGER)",
}
_ROLLING_SQL = {
    "mean": "avg",
    "std": "stddev_samp",
    "min": "min",
    "max": "max",
    "sum": "sum",
}


@dataclass(frozen=True)
class FeatureSet:
    """The feature table of a fleet and which of its columns are model inputs."""

    table: pa.Table
    timestamp: str
    target: str
    feature_columns: tuple[str, ...]
    categorical: tuple[str, ...]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def feature_expressions(
    features: FeaturesSpec, *, timestamp: str, target: str, horizon: int, frequency: Frequency
) -> list[tuple[str, str]]:
    """(name, SQL expression) pairs for every feature of a spec; pure, so it is testable alone."""
    step = PERIOD_DAYS[frequency]
    ts, y = _quote(timestamp), _quote(target)
    window = f"PARTITION BY {_quote(TENANT_COLUMN)} ORDER BY {ts}"
    exprs: list[tuple[str, str]] = []
    for lag in sorted(set(features.lags)):
        days = lag * step
        frame = f"RANGE BETWEEN INTERVAL {days} DAYS PRECEDING AND INTERVAL {days} DAYS PRECEDING"
        # max() over a one-day frame: the value exactly `lag` periods back, NULL if absent
        exprs.append((f"lag_{lag}", f"max({y}) OVER ({window} {frame})"))
    for rolling in features.rolling:
        first = (horizon + rolling.window - 1) * step
        last = horizon * step
        frame = f"RANGE BETWEEN INTERVAL {first} DAYS PRECEDING AND INTERVAL {last} DAYS PRECEDING"
        for stat in rolling.stats:
            name = f"roll_{rolling.window}_{stat}"
            exprs.append((name, f"{_ROLLING_SQL[stat]}({y}) OVER ({window} {frame})"))
    for name in features.calendar:
        exprs.append((f"cal_{name}", _CALENDAR_SQL[name].format(ts=ts)))
    for column in features.covariates:
        exprs.append((column, _quote(column)))
    return exprs


def build_forecast_features(
    data: pa.Table,
    features: FeaturesSpec,
    *,
    timestamp: str,
    target: str,
    horizon: int,
    frequency: Frequency,
) -> FeatureSet:
    """Compute the features of every row of ``data`` (all tenants) in one DuckDB query."""
    exprs = feature_expressions(
        features, timestamp=timestamp, target=target, horizon=horizon, frequency=frequency
    )
    select = ",\n  ".join(f"{sql} AS {_quote(name)}" for name, sql in exprs)
    head = ", ".join(_quote(c) for c in (TENANT_COLUMN, timestamp, target))
    query = (
        f"SELECT {head}{',' if select else ''}\n  {select}\nFROM data\n"
        f"ORDER BY {_quote(TENANT_COLUMN)}, {_quote(timestamp)}"
    )
    con = duckdb.connect()
    try:
        con.register("data", data)
        table = con.sql(query).to_arrow_table()
    finally:
        con.close()
    return FeatureSet(
        table=table,
        timestamp=timestamp,
        target=target,
        feature_columns=tuple(name for name, _ in exprs),
        categorical=tuple(features.categorical),
    )
