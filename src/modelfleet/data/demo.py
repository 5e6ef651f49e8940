"""Synthetic daily retail sales for the quickstart: realistic enough to forecast, fast to make.

Each store has its own level, trend, weekly and yearly pattern; promotions come in random spells
and lift sales; stores close on Sundays and public holidays (except type "b" stores, which open
with a holiday lift) and occasionally for a day. Everything is drawn from one seeded numpy
Generator in whole arrays, so the same seed gives byte-identical files.

Two stores come from "partners" in other layouts, to show column mapping: a German CSV export
(semicolons, decimal commas, dd.mm.yyyy dates, latin-1, CRLF) and a Parquet file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from modelfleet.data.demo_spec import fleet_yaml

_WEEKLY = np.array([0.92, 0.88, 0.90, 0.97, 1.12, 1.30, 0.75])  # Monday .. Sunday
_FIXED_HOLIDAYS = (101, 501, 1003, 1225, 1226)  # month * 100 + day, German holidays
_TYPES = np.array(["a", "b", "c", "d"])
_REGIONS = np.array(["north", "south", "east", "west"])
_CALENDAR_AHEAD = 90  # days of calendar beyond the data, so forecasts have covariates


@dataclass(frozen=True)
class DemoData:
    """The files the demo wrote and the truth they were written from."""

    out_dir: Path
    spec_path: Path
    sales_path: Path
    stores_path: Path
    calendar_path: Path
    berlin_path: Path
    shop_path: Path
    berlin_store: str  # the store whose rows are only in partner_berlin.csv
    shop_store: str  # the store whose rows are only in partner_shop.parquet
    truth: pa.Table  # every store's rows: store_id (str), date, sales, promo, open


def generate_demo_data(
    out_dir: Path,
    *,
    stores: int = 12,
    days: int = 730,
    seed: int = 0,
    start: date = date(2023, 1, 2),
) -> DemoData:
    """Write the quickstart's data files and fleet.yaml into ``out_dir``."""
    if stores < 3:
        raise ValueError("the demo needs at least 3 stores (two of them are partner stores)")
    if days < 1:
        raise ValueError("the demo needs at least one day")
    rng = np.random.default_rng(seed)
    calendar_dates = np.datetime64(start, "D") + np.arange(days + _CALENDAR_AHEAD)
    holiday_all = _holidays(calendar_dates)
    dates, holiday = calendar_dates[:days], holiday_all[:days]
    store_type = rng.choice(_TYPES, size=stores, p=[0.5, 0.15, 0.2, 0.15])
    region = rng.choice(_REGIONS, size=stores)
    sales, promo, is_open = _simulate(rng, dates, holiday, store_type == "b")

    out_dir.mkdir(parents=True, exist_ok=True)
    ids = np.arange(1, stores + 1)
    berlin, shop = ids[-2], ids[-1]
    # Rows ordered by date, then store, as a point-of-sale export would be.
    flat_store = np.tile(ids, days)
    truth = pa.table(
        {
            "store_id": pa.array(flat_store.astype(str)),
            "date": pa.array(np.repeat(dates, stores)),
            "sales": pa.array(sales.T.ravel()),
            "promo": pa.array(promo.T.ravel().astype(np.int64)),
            "open": pa.array(is_open.T.ravel().astype(np.int64)),
        }
    )
    paths = {
        name: out_dir / name
        for name in (
            "sales.csv",
            "stores.csv",
            "calendar.csv",
            "partner_berlin.csv",
            "partner_shop.parquet",
            "fleet.yaml",
        )
    }
    in_shared = flat_store < berlin
    shared = truth.filter(pa.array(in_shared)).set_column(
        0,
        "store_id",
        pa.array(flat_store[in_shared]),  # ids as integers in the export
    )
    _write_csv(shared.select(["date", "store_id", "sales", "promo", "open"]), paths["sales.csv"])
    _write_csv(
        pa.table({"store_id": ids, "store_type": store_type, "region": region}),
        paths["stores.csv"],
    )
    _write_csv(
        pa.table(
            {
                "date": pa.array(calendar_dates),
                "holiday": holiday_all.astype(np.int64),
            }
        ),
        paths["calendar.csv"],
    )
    _write_berlin(truth.filter(pa.array(flat_store == berlin)), paths["partner_berlin.csv"])
    _write_shop(
        truth.filter(pa.array(flat_store == shop)), int(shop), paths["partner_shop.parquet"]
    )
    paths["fleet.yaml"].write_text(
        # The tuned store is one of the shared stores (never a partner, even with 3 stores).
        fleet_yaml(berlin=str(berlin), shop=str(shop), tuned=str(ids[min(2, stores - 3)])),
        encoding="utf-8",
    )
    return DemoData(
        out_dir=out_dir,
        spec_path=paths["fleet.yaml"],
        sales_path=paths["sales.csv"],
        stores_path=paths["stores.csv"],
        calendar_path=paths["calendar.csv"],
        berlin_path=paths["partner_berlin.csv"],
        shop_path=paths["partner_shop.parquet"],
        berlin_store=str(berlin),
        shop_store=str(shop),
        truth=truth,
    )


def _holidays(dates: np.ndarray) -> np.ndarray:
    """1 on German public holidays: fixed dates plus Good Friday and Easter Monday."""
    month = dates.astype("datetime64[M]").astype(int) % 12 + 1
    day = (dates - dates.astype("datetime64[M]")).astype(int) + 1
    fixed = np.isin(month * 100 + day, _FIXED_HOLIDAYS)
    easter = _easter(dates.astype("datetime64[Y]").astype(int) + 1970)
    offset = (dates - easter).astype(int)
    return np.asarray((fixed | (offset == -2) | (offset == 1)), dtype=np.int64)


def _easter(year: np.ndarray) -> np.ndarray:
    """Easter Sunday (Gregorian, anonymous algorithm), vectorised over years."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = (h + l_ - 7 * m + 114) % 31 + 1
    first = (year - 1970).astype("datetime64[Y]").astype("datetime64[M]")
    return np.asarray((first + (month - 1)).astype("datetime64[D]") + (day - 1))


def _simulate(
    rng: np.random.Generator, dates: np.ndarray, holiday: np.ndarray, always_open: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sales, promo and open flags, each of shape (stores, days)."""
    stores, days = len(always_open), len(dates)
    weekday = (dates.astype(int) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    day_of_year = (dates - dates.astype("datetime64[Y]")).astype(int)
    years = np.arange(days) / 365.25

    level = rng.lognormal(np.log(4000.0), 0.45, size=(stores, 1))
    trend = 1.0 + rng.normal(0.03, 0.06, size=(stores, 1)) * years
    weekly = (_WEEKLY * (1.0 + rng.normal(0.0, 0.04, size=(stores, 7))))[:, weekday]
    amplitude = rng.uniform(0.05, 0.2, size=(stores, 1))
    phase = rng.uniform(0.0, 2 * np.pi, size=(stores, 1))
    christmas = 0.3 * np.exp(-(((day_of_year - 352) / 9.0) ** 2))
    yearly = 1.0 + amplitude * np.sin(2 * np.pi * day_of_year / 365.25 + phase) + christmas

    # Promotions: spells of 4-11 days; +1/-1 markers at start/end, summed along time.
    starts = rng.random((stores, days)) < 1 / 25
    lengths = rng.integers(4, 12, size=(stores, days))
    marks = np.zeros((stores, days + 12), dtype=np.int64)
    row, col = np.nonzero(starts)
    np.add.at(marks, (row, col), 1)
    np.add.at(marks, (row, col + lengths[row, col]), -1)
    promo = np.cumsum(marks, axis=1)[:, :days] > 0
    lift = rng.uniform(1.15, 1.4, size=(stores, 1))

    rest_day = (weekday == 6) | (holiday == 1)
    closed = (rest_day[None, :] & ~always_open[:, None]) | (rng.random((stores, days)) < 0.004)
    noise = rng.lognormal(0.0, 0.08, size=(stores, days))
    festive = np.where(holiday[None, :] == 1, 1.25, 1.0)
    sales = level * trend * weekly * yearly * np.where(promo, lift, 1.0) * festive * noise
    sales = np.where(closed, 0.0, np.round(sales, 2))
    return sales, promo, ~closed


def _write_csv(table: pa.Table, path: Path) -> None:
    options = pacsv.WriteOptions(quoting_style="none", quoting_header="none")
    pacsv.write_csv(table, path, write_options=options)


def _write_berlin(rows: pa.Table, path: Path) -> None:
    """A German partner export: ; delimiter, decimal comma, dd.mm.yyyy, latin-1, CRLF."""
    text_sales = pc.replace_substring(rows["sales"].cast(pa.string()), ".", ",")
    table = pa.table(
        {
            "Datum": pc.strftime(rows["date"].cast(pa.timestamp("s")), "%d.%m.%Y"),
            # The partner's branch name, not our store id: not mapped, the key comes from
            # the tenant override (and the umlaut needs latin-1).
            "Filiale": pa.repeat("Berlin Köpenick", rows.num_rows),
            "Umsatz": text_sales,
            "Aktion": rows["promo"],
            "Geoeffnet": rows["open"],
        }
    )
    buffer = io.BytesIO()
    options = pacsv.WriteOptions(
        delimiter=";", eol="\r\n", quoting_style="none", quoting_header="none"
    )
    pacsv.write_csv(table, buffer, write_options=options)
    # One whole-file transcode: the partner's system writes latin-1.
    path.write_bytes(buffer.getvalue().decode("utf-8").encode("latin-1"))


def _write_shop(rows: pa.Table, shop: int, path: Path) -> None:
    """A partner's Parquet file: its own column names, timestamps and booleans."""
    table = pa.table(
        {
            "ts": rows["date"].cast(pa.timestamp("ms")),
            "shop": pa.repeat(shop, rows.num_rows),
            "revenue": rows["sales"],
            "on_promo": rows["promo"].cast(pa.bool_()),
            "is_open": rows["open"].cast(pa.bool_()),
        }
    )
    pq.write_table(table, path)
