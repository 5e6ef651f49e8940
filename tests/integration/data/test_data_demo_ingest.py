"""The demo fleet loads end to end: every store, no errors, partner stores mapped exactly."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from modelfleet.config.spec import load_spec
from modelfleet.data.canonical import FleetData
from modelfleet.data.demo import DemoData, generate_demo_data
from modelfleet.data.ingest import load_fleet_data


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoData:
    return generate_demo_data(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def loaded(demo: DemoData) -> FleetData:
    return load_fleet_data(load_spec(demo.spec_path, "dev"), now=datetime(2025, 6, 1))


def _truth_of(demo: DemoData, store: str) -> pa.Table:
    return demo.truth.filter(pc.equal(demo.truth["store_id"], store))


def test_every_store_loads_without_error_findings(loaded: FleetData) -> None:
    assert loaded.tenants == tuple(sorted(str(i) for i in range(1, 13)))
    assert loaded.failed == {}
    assert [f for f in loaded.findings if f.severity == "error"] == []
    assert loaded.frequency == "D"
    assert loaded.table.num_rows == 12 * 730


@pytest.mark.parametrize("which", ["berlin_store", "shop_store", "first"])
def test_canonical_rows_equal_what_was_generated(
    demo: DemoData, loaded: FleetData, which: str
) -> None:
    store = "1" if which == "first" else getattr(demo, which)
    rows = loaded.tenant_table(store)
    truth = _truth_of(demo, store)
    assert rows["store_id"].to_pylist() == [store] * 730
    assert rows["date"].cast(pa.date32()).equals(truth["date"].cast(pa.date32()))
    assert rows["sales"].to_pylist() == truth["sales"].to_pylist()
    assert rows["promo"].to_pylist() == truth["promo"].to_pylist()
    assert rows["open"].to_pylist() == truth["open"].to_pylist()


def test_static_and_calendar_columns_are_joined(loaded: FleetData, demo: DemoData) -> None:
    assert loaded.table.column_names == [
        "_tenant",
        "store_id",
        "date",
        "sales",
        "promo",
        "open",
        "holiday",
        "store_type",
        "region",
    ]
    for column in ("holiday", "store_type", "region"):
        assert loaded.table[column].null_count == 0
    christmas = loaded.table.filter(
        pc.equal(loaded.table["date"], pa.scalar(datetime(2024, 12, 25)))
    )
    assert set(christmas["holiday"].to_pylist()) == {1}


def test_fingerprints_are_stable_across_loads(demo: DemoData, loaded: FleetData) -> None:
    again = load_fleet_data(load_spec(demo.spec_path), now=datetime(2025, 6, 1))
    assert again.fingerprints == loaded.fingerprints
    assert len(set(loaded.fingerprints.values())) == 12


def test_an_edited_partner_file_changes_only_its_fingerprint(tmp_path: Path) -> None:
    demo = generate_demo_data(tmp_path, stores=4, days=120)
    spec = load_spec(demo.spec_path)
    before = load_fleet_data(spec, now=datetime(2025, 6, 1)).fingerprints
    assert set(before) == {"1", "2", "3", "4"}
    raw = demo.berlin_path.read_bytes()
    demo.berlin_path.write_bytes(raw.replace(b";0;1\r\n", b";1;1\r\n", 1))  # one promo flag
    after = load_fleet_data(spec, now=datetime(2025, 6, 1)).fingerprints
    changed = {t for t in before if before[t] != after[t]}
    assert changed == {demo.berlin_store}


def test_smallest_demo_loads_all_three_stores(tmp_path: Path) -> None:
    demo = generate_demo_data(tmp_path, stores=3, days=120)
    data = load_fleet_data(load_spec(demo.spec_path), now=datetime(2025, 6, 1))
    assert data.tenants == ("1", "2", "3") and data.failed == {}
