"""The weekly store x department demo export: its quirks are there, and it is deterministic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest

from modelfleet.data.demo_weekly import WeeklyDemo, generate_weekly_departments


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> WeeklyDemo:
    return generate_weekly_departments(
        tmp_path_factory.mktemp("weekly"), stores=6, departments=12, seed=3
    )


def test_every_sales_week_ends_on_a_friday(demo: WeeklyDemo) -> None:
    sales = pacsv.read_csv(demo.sales_path)
    weekdays = pc.unique(pc.day_of_week(sales["date"])).to_pylist()
    assert weekdays == [4]  # Monday = 0


def test_series_are_ragged_and_some_weeks_are_returns(demo: WeeklyDemo) -> None:
    sales = pacsv.read_csv(demo.sales_path)
    keys = pc.binary_join_element_wise(
        pc.cast(sales["store"], "string"), pc.cast(sales["dept"], "string"), "-"
    )
    lengths = np.array(pc.value_counts(keys).field("counts"))
    assert lengths.min() < lengths.max() == 143
    assert pc.sum(pc.less(sales["weekly_sales"], 0)).as_py() > 0


def test_store_file_has_cr_line_endings_and_covariates_run_past_the_sales(
    demo: WeeklyDemo,
) -> None:
    assert b"\r" in demo.stores_path.read_bytes() and b"\n" not in demo.stores_path.read_bytes()
    features = pacsv.read_csv(
        demo.features_path, convert_options=pacsv.ConvertOptions(null_values=["NA"])
    )
    sales = pacsv.read_csv(demo.sales_path)
    assert pc.max(features["date"]).as_py() > pc.max(sales["date"]).as_py()
    assert ",NA," in demo.features_path.read_text(encoding="utf-8")


def test_the_same_seed_writes_the_same_files(demo: WeeklyDemo, tmp_path: Path) -> None:
    again = generate_weekly_departments(tmp_path, stores=6, departments=12, seed=3)
    for name in ("sales.csv", "stores.csv", "features.csv"):
        assert (again.out_dir / name).read_bytes() == (demo.out_dir / name).read_bytes()


def test_too_short_a_history_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 60 weeks"):
        generate_weekly_departments(tmp_path, weeks=30)
