"""Synthetic weekly store x department sales: the raw export of docs/onboarding.md.

The files look like a retailer's export, not like modelfleet's canonical schema: weekly rows per
store and department with weeks ending on Friday, ragged series (departments that open late,
close early or skip weeks), returns as negative sales, a store file with CR line endings, and a
covariates file with ``NA`` for missing values that runs past the last sales week.

Store-level demand has structure a model can learn and seasonal naive cannot fully use: store
type levels, a trend, yearly seasonality, holiday lifts and a markdown effect, plus noise. All
draws come from one seeded numpy Generator in whole arrays, so a seed gives identical files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from modelfleet.data.demo_weekly_spec import department_yaml, store_yaml

_START = date(2010, 2, 5)  # a Friday: every week ends on a Friday
_AHEAD = 26  # weeks of covariates past the last sales week
_TYPES = np.array(["A", "B", "C"])
_TYPE_LEVEL = np.array([1.0, 0.62, 0.35])  # sales level per square foot by store type
_HOLIDAY_LIFT = {6: 1.08, 36: 1.05, 47: 1.30, 52: 1.12}  # ISO week of the Friday -> lift
_PRE_CHRISTMAS = 51  # not a flagged holiday, yet the busiest week


@dataclass(frozen=True)
class WeeklyDemo:
    """The files the weekly demo wrote."""

    out_dir: Path
    spec_path: Path  # fleet.yaml, keyed by [store, dept]
    store_spec_path: Path  # fleet-stores.yaml, keyed by store, departments summed
    sales_path: Path
    stores_path: Path
    features_path: Path
    rows: int


def generate_weekly_departments(
    out_dir: Path, *, stores: int = 12, departments: int = 20, weeks: int = 143, seed: int = 0
) -> WeeklyDemo:
    """Write sales.csv, stores.csv, features.csv, fleet.yaml and fleet-stores.yaml."""
    if stores < 1 or departments < 1:
        raise ValueError("the weekly demo needs at least one store and one department")
    if weeks < 60:
        raise ValueError("the weekly demo needs at least 60 weeks (a year plus a holdout)")
    rng = np.random.default_rng(seed)
    dates = np.datetime64(_START, "D") + 7 * np.arange(weeks + _AHEAD)
    week_of_year = _iso_week(dates)
    holiday = np.isin(week_of_year, list(_HOLIDAY_LIFT))
    store_type = rng.choice(3, size=stores, p=[0.45, 0.35, 0.2])
    size = np.round(
        np.where(store_type == 0, 150_000, np.where(store_type == 1, 90_000, 40_000))
        * rng.uniform(0.7, 1.3, stores)
    )
    temperature, fuel, markdowns = _covariates(rng, dates, week_of_year, stores, weeks)
    store_sales = _store_demand(
        rng, week_of_year, store_type, size, markdowns, weeks, len(dates)
    )  # (stores, weeks + ahead)

    share = rng.dirichlet(np.full(departments, 0.8), size=stores)  # (stores, departments)
    dept_season = 1 + 0.25 * rng.standard_normal(departments)[None, :, None] * np.sin(
        2 * np.pi * week_of_year[None, None, :weeks] / 52.18
    )
    noise = rng.lognormal(0.0, 0.12, (stores, departments, weeks))
    present = _ragged(rng, stores, departments, weeks)
    # Departments that open or close inside the history are small ones (seasonal or trial
    # departments), as in real exports: a store's total then moves with demand, not with them.
    partial = ~present.all(axis=2) & present.any(axis=2)
    share = np.where(partial, 0.1 * share, share)
    sales = store_sales[:, None, :weeks] * share[:, :, None] * dept_season * noise
    returns = rng.random(sales.shape) < 0.002
    sales = np.where(returns, -rng.uniform(1, 80, sales.shape), sales)

    store_ids = np.repeat(np.arange(1, stores + 1), departments * weeks).reshape(sales.shape)
    dept_ids = np.tile(np.repeat(np.arange(1, departments + 1), weeks), stores).reshape(sales.shape)
    week_idx = np.broadcast_to(np.arange(weeks), sales.shape)
    keep = present.ravel()
    out_dir.mkdir(parents=True, exist_ok=True)
    sales_table = pa.table(
        {
            "store": pa.array(store_ids.ravel()[keep]),
            "dept": pa.array(dept_ids.ravel()[keep]),
            "date": pa.array(dates[week_idx.ravel()[keep]]),
            "weekly_sales": pa.array(np.round(sales.ravel()[keep], 2)),
            "is_holiday": pa.array(holiday[week_idx.ravel()[keep]]),
        }
    )
    paths = {n: out_dir / n for n in ("sales.csv", "stores.csv", "features.csv")}
    pacsv.write_csv(
        sales_table, paths["sales.csv"], write_options=pacsv.WriteOptions(quoting_style="none")
    )
    _write_stores(paths["stores.csv"], _TYPES[store_type], size)
    _write_features(
        paths["features.csv"], rng, dates, temperature, fuel, markdowns, holiday, stores
    )
    spec_path, store_spec_path = out_dir / "fleet.yaml", out_dir / "fleet-stores.yaml"
    spec_path.write_text(department_yaml(), encoding="utf-8")
    store_spec_path.write_text(store_yaml(), encoding="utf-8")
    return WeeklyDemo(
        out_dir,
        spec_path,
        store_spec_path,
        paths["sales.csv"],
        paths["stores.csv"],
        paths["features.csv"],
        sales_table.num_rows,
    )


def _iso_week(dates: np.ndarray) -> np.ndarray:
    """ISO week number of each date (vectorised: the Thursday of its week decides the year)."""
    days = dates.astype("datetime64[D]").astype(np.int64)
    weekday = (days + 3) % 7  # Monday = 0 (1970-01-01 was a Thursday)
    thursday = days - weekday + 3
    year_start = thursday.astype("datetime64[D]").astype("datetime64[Y]").astype("datetime64[D]")
    return ((thursday - year_start.astype(np.int64)) // 7 + 1).astype(np.int64)


def _covariates(
    rng: np.random.Generator, dates: np.ndarray, woy: np.ndarray, stores: int, weeks: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Temperature, fuel price and three markdowns per store and week (markdowns NaN early)."""
    n = len(dates)
    climate = rng.uniform(40, 75, stores)[:, None]
    temperature = climate - 22 * np.cos(2 * np.pi * (woy[None, :] - 4) / 52.18)
    temperature = temperature + rng.normal(0, 4, (stores, n))
    fuel = 2.7 + np.cumsum(rng.normal(0.005, 0.04, n))[None, :] + rng.normal(0, 0.05, (stores, 1))
    # Markdown data starts partway through the history (as in real exports): NaN before that.
    markdowns = rng.gamma(1.2, 3000, (3, stores, n)) * (rng.random((3, stores, n)) < 0.7)
    markdowns[:, :, : int(weeks * 0.45)] = np.nan
    return temperature, fuel, markdowns


def _store_demand(
    rng: np.random.Generator,
    woy: np.ndarray,
    store_type: np.ndarray,
    size: np.ndarray,
    markdowns: np.ndarray,
    weeks: int,
    n: int,
) -> np.ndarray:
    """Weekly sales per store: level x trend x season x holidays x markdown lift x noise."""
    level = 0.12 * size * _TYPE_LEVEL[store_type]
    t = np.arange(n)[None, :]
    trend = 1 + rng.normal(0.0015, 0.0012, len(size))[:, None] * t
    amplitude = rng.uniform(0.05, 0.15, len(size))[:, None]
    season = 1 + amplitude * np.sin(2 * np.pi * (woy[None, :] - 10) / 52.18)
    lift = np.ones(n)
    for week, factor in _HOLIDAY_LIFT.items():
        lift[woy == week] = factor
    lift[woy == _PRE_CHRISTMAS] = 1.45
    total_markdown = np.nan_to_num(markdowns).sum(axis=0)
    markdown_lift = 1 + 0.12 * total_markdown / 10_000
    noise = rng.lognormal(0.0, 0.04, (len(size), n))
    demand = level[:, None] * trend * season * lift[None, :] * markdown_lift * noise
    return np.asarray(demand, dtype=np.float64)


def _ragged(rng: np.random.Generator, stores: int, departments: int, weeks: int) -> np.ndarray:
    """Which (store, dept, week) rows exist: late starts, early stops and skipped weeks."""
    shape = (stores, departments)
    start = np.where(rng.random(shape) < 0.15, rng.integers(10, weeks - 20, shape), 0)
    stop = np.where(rng.random(shape) < 0.10, rng.integers(weeks // 2, weeks, shape), weeks)
    week = np.arange(weeks)[None, None, :]
    alive = (week >= start[:, :, None]) & (week < stop[:, :, None])
    gappy = rng.random(shape) < 0.08
    skipped = gappy[:, :, None] & (rng.random((stores, departments, weeks)) < 0.05)
    # Some departments a store simply does not have.
    has = rng.random(shape) < 0.9
    return alive & ~skipped & has[:, :, None]


def _write_stores(path: Path, types: np.ndarray, size: np.ndarray) -> None:
    """store,type,size with CR line endings (an old spreadsheet export)."""
    lines = ["store,type,size"] + [
        f"{i + 1},{t},{int(s)}" for i, (t, s) in enumerate(zip(types, size, strict=True))
    ]
    path.write_bytes(("\r".join(lines) + "\r").encode("ascii"))


def _write_features(
    path: Path,
    rng: np.random.Generator,
    dates: np.ndarray,
    temperature: np.ndarray,
    fuel: np.ndarray,
    markdowns: np.ndarray,
    holiday: np.ndarray,
    stores: int,
) -> None:
    """Per store and week, past the last sales week; missing values written as NA."""
    n = len(dates)
    temp = np.round(temperature, 1)
    temp[rng.random(temp.shape) < 0.01] = np.nan  # a few sensor gaps
    table = pa.table(
        {
            "store": pa.array(np.repeat(np.arange(1, stores + 1), n)),
            "date": pa.array(np.tile(dates, stores)),
            "temperature": pa.array(temp.ravel(), from_pandas=True),
            "fuel_price": pa.array(np.round(fuel, 3).ravel()),
            **{
                f"markdown{i + 1}": pa.array(np.round(markdowns[i], 2).ravel(), from_pandas=True)
                for i in range(3)
            },
            "is_holiday": pa.array(np.tile(holiday, stores)),
        }
    )
    # The export writes missing values as NA, as many tools do (pyarrow would leave them empty).
    columns = {
        name: pc.fill_null(pc.cast(column, pa.string()), "NA")
        if pa.types.is_floating(column.type) and column.null_count
        else column
        for name, column in zip(table.column_names, table.columns, strict=True)
    }
    pacsv.write_csv(pa.table(columns), path, write_options=pacsv.WriteOptions(quoting_style="none"))
