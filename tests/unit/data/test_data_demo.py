"""The quickstart's synthetic retail data: deterministic, realistic in shape, fast, valid spec."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from modelfleet.config.spec import load_spec
from modelfleet.data.demo import DemoData, generate_demo_data


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoData:
    return generate_demo_data(tmp_path_factory.mktemp("demo"))


def _files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    generate_demo_data(tmp_path / "a", stores=4, days=60, seed=7)
    generate_demo_data(tmp_path / "b", stores=4, days=60, seed=7)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_another_seed_gives_other_sales(tmp_path: Path) -> None:
    a = generate_demo_data(tmp_path / "a", stores=4, days=60, seed=1)
    b = generate_demo_data(tmp_path / "b", stores=4, days=60, seed=2)
    assert a.sales_path.read_bytes() != b.sales_path.read_bytes()


def test_writes_every_file_with_its_columns(demo: DemoData) -> None:
    assert {p.name for p in demo.out_dir.iterdir()} == {
        "sales.csv",
        "stores.csv",
        "calendar.csv",
        "partner_berlin.csv",
        "partner_shop.parquet",
        "fleet.yaml",
    }
    sales = pacsv.read_csv(demo.sales_path)
    assert sales.column_names == ["date", "store_id", "sales", "promo", "open"]
    assert sales.num_rows == 10 * 730  # all but the two partner stores
    assert pc.unique(sales["store_id"]).to_pylist() == list(range(1, 11))
    assert pacsv.read_csv(demo.stores_path).column_names == ["store_id", "store_type", "region"]
    assert pacsv.read_csv(demo.calendar_path).column_names == ["date", "holiday"]
    shop = pq.read_table(demo.shop_path)
    assert shop.column_names == ["ts", "shop", "revenue", "on_promo", "is_open"]
    assert shop.num_rows == 730


def test_truth_covers_every_store_and_day(demo: DemoData) -> None:
    assert demo.truth.num_rows == 12 * 730
    assert (demo.berlin_store, demo.shop_store) == ("11", "12")
    dates = demo.truth["date"].to_numpy()
    assert dates.min() == np.datetime64("2023-01-02") and dates.max() == np.datetime64("2024-12-31")


def test_closed_days_have_no_sales_and_sundays_are_mostly_closed(demo: DemoData) -> None:
    truth = demo.truth
    closed = pc.equal(truth["open"], 0)
    assert pc.all(pc.equal(truth.filter(closed)["sales"], 0.0)).as_py()
    assert pc.min(truth.filter(pc.invert(closed))["sales"]).as_py() > 0
    sunday = pc.equal(pc.day_of_week(truth["date"]), 6)
    share_open = pc.mean(truth.filter(sunday)["open"]).as_py()
    assert share_open < 0.5


def test_promotions_lift_sales(demo: DemoData) -> None:
    open_days = demo.truth.filter(pc.equal(demo.truth["open"], 1))
    promo = open_days.filter(pc.equal(open_days["promo"], 1))["sales"]
    plain = open_days.filter(pc.equal(open_days["promo"], 0))["sales"]
    assert pc.mean(promo).as_py() > 1.1 * pc.mean(plain).as_py()


def test_calendar_marks_german_holidays(demo: DemoData) -> None:
    calendar = pacsv.read_csv(demo.calendar_path)
    holidays = calendar.filter(pc.equal(calendar["holiday"], 1))["date"].to_pylist()
    for day in (date(2023, 12, 25), date(2024, 3, 29), date(2024, 4, 1), date(2024, 10, 3)):
        assert day in holidays  # Christmas, Good Friday, Easter Monday, Unity Day
    assert len([d for d in holidays if d.year == 2024]) == 7


def test_berlin_file_is_a_german_latin1_crlf_export(demo: DemoData) -> None:
    raw = demo.berlin_path.read_bytes()
    assert raw.startswith(b"Datum;Filiale;Umsatz;Aktion;Geoeffnet\r\n")
    assert b"\r\n02.01.2023;Berlin K\xf6penick;" in raw  # latin-1 umlaut, day-first dates
    first_sales = raw.split(b"\r\n")[1].split(b";")[2]
    assert b"," in first_sales and b"." not in first_sales


def test_fleet_yaml_loads_in_every_environment(demo: DemoData) -> None:
    spec = load_spec(demo.spec_path)
    assert spec.data_schema.tenant_key == ("store_id",)
    assert [s.name for s in spec.sources] == ["sales", "stores", "calendar"]
    assert spec.features.lags == (28, 35, 42, 364)
    assert set(spec.tenants.overrides) == {"11", "12", "3"}
    assert spec.for_tenant("3").model.params["num_leaves"] == 15
    assert load_spec(demo.spec_path, "dev").model.params["n_estimators"] == 50
    assert load_spec(demo.spec_path, "prod").model.params["n_estimators"] == 200


def test_generation_is_fast(tmp_path: Path) -> None:
    started = time.perf_counter()
    generate_demo_data(tmp_path)
    # Well under a second on a laptop; the bound leaves room for a busy CI machine.
    assert time.perf_counter() - started < 2.0


def test_too_few_stores_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 3 stores"):
        generate_demo_data(tmp_path, stores=2)
