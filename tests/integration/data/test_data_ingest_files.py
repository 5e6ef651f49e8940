"""load_fleet_data end to end on real files: formats, keys, joins, selection and frequency."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from modelfleet.config.spec import FleetSpec
from modelfleet.data.canonical import TENANT_COLUMN
from modelfleet.data.ingest import load_fleet_data

Build = Callable[..., FleetSpec]
WriteCsv = Callable[..., Path]
Daily = Callable[..., pa.Table]
NOW = datetime(2030, 1, 1)


def _german_csv(table: pa.Table, path: Path) -> None:
    """The same rows as a German export: ';', decimal comma, dd.mm.yyyy, latin-1, CRLF."""
    german = pa.table(
        {
            "Datum": pc.strftime(table["date"].cast(pa.timestamp("s")), "%d.%m.%Y"),
            "Filiale": table["store"],
            "Umsatz": pc.replace_substring(table["sales"].cast(pa.string()), ".", ","),
            "Aktion": table["promo"],
            "Notiz": pa.repeat("Straße", table.num_rows),
        }
    )
    buffer = io.BytesIO()
    options = pacsv.WriteOptions(delimiter=";", eol="\r\n", quoting_style="none")
    pacsv.write_csv(german, buffer, write_options=options)
    path.write_bytes(buffer.getvalue().decode("utf-8").encode("latin-1"))


def test_iso_csv_gives_sorted_canonical_table(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["2", "1"], 30).take(list(range(59, -1, -1))))  # newest first, store 2 first
    data = load_fleet_data(make_spec(), now=NOW)
    assert data.tenants == ("1", "2")
    assert data.failed == {} and data.findings == ()
    assert data.frequency == "D"
    assert data.table.schema == pa.schema(
        [
            (TENANT_COLUMN, pa.string()),
            ("store", pa.string()),
            ("date", pa.timestamp("us")),
            ("sales", pa.float64()),
            ("promo", pa.int64()),
        ]
    )
    assert data.table[TENANT_COLUMN].to_pylist() == ["1"] * 30 + ["2"] * 30
    first = data.tenant_table("1")["date"].to_pylist()
    assert first == sorted(first) and first[0] == datetime(2024, 1, 1)
    assert data.tenant_table("2")["sales"].to_pylist()[:2] == [0.25, 1.25]


def test_german_csv_gives_the_same_canonical_rows_as_iso_csv(
    tmp_path: Path, make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    table = daily(["1", "2"], 30)
    write_csv(table)
    _german_csv(table, tmp_path / "german.csv")
    iso = load_fleet_data(make_spec(), now=NOW)
    german_spec = make_spec(
        sources=[
            {
                "name": "sales",
                "path": "german.csv",
                "csv": {
                    "delimiter": ";",
                    "decimal": ",",
                    "encoding": "latin-1",
                    "date_format": "%d.%m.%Y",
                },
                "columns": {
                    "date": "Datum",
                    "store": "Filiale",
                    "sales": "Umsatz",
                    "promo": "Aktion",
                },
            }
        ]
    )
    german = load_fleet_data(german_spec, now=NOW)
    assert german.findings == ()
    assert german.table.equals(iso.table)
    assert german.fingerprints == iso.fingerprints


def test_parquet_source_gives_the_same_canonical_rows(
    tmp_path: Path, make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    table = daily(["1", "2"], 30)
    write_csv(table)
    pq.write_table(
        pa.table(
            {
                "ts": table["date"].cast(pa.timestamp("ns")),
                "shop": pc.cast(table["store"], pa.int32()),
                "revenue": table["sales"],
                "on_promo": table["promo"].cast(pa.bool_()),
            }
        ),
        tmp_path / "shop.parquet",
    )
    spec = make_spec(
        sources=[
            {
                "name": "sales",
                "path": "shop.parquet",
                "columns": {"date": "ts", "store": "shop", "sales": "revenue", "promo": "on_promo"},
            }
        ]
    )
    assert (
        load_fleet_data(spec, now=NOW).fingerprints
        == load_fleet_data(make_spec(), now=NOW).fingerprints
    )


def test_multi_column_key_makes_store_dept_tenants(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    table = daily(["1", "1", "2"], 30)
    table = table.append_column("dept", pa.array(["3"] * 30 + ["4"] * 30 + ["3"] * 30))
    write_csv(table)
    spec = make_spec(
        schema={
            "tenant_key": ["store", "dept"],
            "timestamp": "date",
            "target": "sales",
            "columns": {"promo": "int"},
        }
    )
    data = load_fleet_data(spec, now=NOW)
    assert data.tenants == ("1-3", "1-4", "2-3")
    assert data.table.column_names[:3] == [TENANT_COLUMN, "store", "dept"]
    assert data.tenant_table("1-4")["dept"].to_pylist() == ["4"] * 30


def test_weekly_data_is_inferred_as_weekly(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    table = daily(["1", "2"], 210)
    weekly = table.filter(pc.equal(pc.day_of_week(table["date"]), 0))  # Mondays only
    write_csv(weekly)
    data = load_fleet_data(make_spec(), now=NOW)
    assert data.frequency == "W"
    assert data.failed == {}


def test_declared_daily_frequency_fails_weekly_tenants(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    table = daily(["d", "w"], 210)
    is_monday = pc.equal(pc.day_of_week(table["date"]), 0)
    keep = pc.or_(pc.equal(table["store"], "d"), is_monday)
    write_csv(table.filter(keep))
    spec = make_spec(
        schema={
            "tenant_key": "store",
            "timestamp": "date",
            "target": "sales",
            "frequency": "D",
            "columns": {"promo": "int"},
        }
    )
    data = load_fleet_data(spec, now=NOW)
    assert data.tenants == ("d",)
    assert "7 days apart" in data.failed["w"]


def test_static_and_covariates_join_including_on_a_static_column(
    tmp_path: Path, make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["1", "2", "3"], 30))
    write_csv(
        pa.table({"store": ["1", "2", "3"], "state": ["BE", "BY", "BE"], "size": [1.5, 2.0, 3.0]}),
        "stores.csv",
    )
    write_csv(pa.table({"day": ["2024-01-01"], "holiday": [1]}), "calendar.csv")
    write_csv(
        pa.table({"state": ["BE", "BY"], "date": ["2024-01-02", "2024-01-02"], "school": [1, 0]}),
        "school.csv",
    )
    spec = make_spec(
        schema={
            "tenant_key": "store",
            "timestamp": "date",
            "target": "sales",
            "columns": {
                "promo": "int",
                "holiday": "int",
                "school": "int",
                "state": "str",
                "size": "float",
            },
        },
        sources=[
            {"name": "sales", "path": "sales.csv"},
            # Listed before the static source on purpose: statics are joined first anyway.
            {
                "name": "school",
                "kind": "covariates",
                "path": "school.csv",
                "join_on": ["state", "date"],
            },
            {
                "name": "calendar",
                "kind": "covariates",
                "path": "calendar.csv",
                "columns": {"date": "day"},
            },
            {"name": "stores", "kind": "static", "path": "stores.csv"},
        ],
        checks={"nullable": ["holiday", "school"]},
    )
    data = load_fleet_data(spec, now=NOW)
    assert data.findings == ()
    assert data.table.column_names[-5:] == ["promo", "holiday", "school", "state", "size"]
    second_day = data.table.filter(pc.equal(data.table["date"], pa.scalar(datetime(2024, 1, 2))))
    assert second_day.select(["store", "state", "size", "school"]).to_pylist() == [
        {"store": "1", "state": "BE", "size": 1.5, "school": 1},
        {"store": "2", "state": "BY", "size": 2.0, "school": 0},
        {"store": "3", "state": "BE", "size": 3.0, "school": 1},
    ]
    holidays = pc.sum(pc.fill_null(data.table["holiday"], 0)).as_py()
    assert holidays == 3  # 2024-01-01 for each store


def test_missing_static_row_is_a_nulls_warning_not_a_failure(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["1", "2"], 30))
    write_csv(pa.table({"store": ["1"], "region": ["north"]}), "stores.csv")
    spec = make_spec(
        schema={
            "tenant_key": "store",
            "timestamp": "date",
            "target": "sales",
            "columns": {"promo": "int", "region": "str"},
        },
        sources=[
            {"name": "sales", "path": "sales.csv"},
            {"name": "stores", "kind": "static", "path": "stores.csv"},
        ],
    )
    data = load_fleet_data(spec, now=NOW)
    assert data.tenants == ("1", "2")
    (finding,) = data.findings
    assert (finding.tenant, finding.check, finding.severity, finding.column) == (
        "2",
        "nulls",
        "warning",
        "region",
    )
    assert "no matching row in a joined source" in finding.message


def test_duplicate_static_rows_fail_only_the_tenant_they_belong_to(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["1", "2"], 30))
    write_csv(pa.table({"store": ["1", "2", "2"], "region": ["n", "s", "e"]}), "stores.csv")
    spec = make_spec(
        schema={
            "tenant_key": "store",
            "timestamp": "date",
            "target": "sales",
            "columns": {"promo": "int", "region": "str"},
        },
        sources=[
            {"name": "sales", "path": "sales.csv"},
            {"name": "stores", "kind": "static", "path": "stores.csv"},
        ],
    )
    data = load_fleet_data(spec, now=NOW)
    assert data.tenants == ("1",)
    assert "source 'stores' has several rows" in data.failed["2"]
    assert "stores.csv line 3 and stores.csv line 4" in data.failed["2"]
    assert data.fingerprints.keys() == {"1", "2"}


def test_include_list_selects_and_exclude_removes(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["1", "2", "3", "4"], 30))
    data = load_fleet_data(
        make_spec(tenants={"include": ["3", "1", "2"], "exclude": ["2"]}), now=NOW
    )
    assert data.tenants == ("1", "3")
    assert set(pc.unique(data.table[TENANT_COLUMN]).to_pylist()) == {"1", "3"}
    assert data.failed == {}


def test_included_tenant_without_rows_fails_with_a_clear_message(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["1"], 30))
    data = load_fleet_data(make_spec(tenants={"include": ["1", "99"]}), now=NOW)
    assert data.tenants == ("1",)
    assert data.failed["99"].startswith("tenant 99: no rows found")
    assert "tenants.include" in data.failed["99"]


def test_exclude_only_drops_those_tenants(
    make_spec: Build, write_csv: WriteCsv, daily: Daily
) -> None:
    write_csv(daily(["1", "2"], 30))
    assert load_fleet_data(make_spec(tenants={"exclude": ["1"]}), now=NOW).tenants == ("2",)


def test_same_file_under_two_names_is_read_once(
    make_spec: Build, write_csv: WriteCsv, daily: Daily, monkeypatch: pytest.MonkeyPatch
) -> None:
    import modelfleet.data.ingest as ingest

    write_csv(daily(["1", "2"], 30).append_column("region", pa.array(["n"] * 60)))
    calls: list[str] = []
    real = ingest.read_source

    def counting(spec: FleetSpec, source: object) -> object:
        calls.append(getattr(source, "name", "?"))
        return real(spec, source)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "read_source", counting)
    spec = make_spec(
        schema={
            "tenant_key": "store",
            "timestamp": "date",
            "target": "sales",
            "columns": {"promo": "int", "region": "str"},
        },
        sources=[
            {"name": "sales", "path": "sales.csv", "columns": {}},
            {"name": "regions", "kind": "static", "path": "sales.csv"},
        ],
    )
    data = load_fleet_data(spec, now=NOW)
    assert calls == ["sales"]
    assert data.tenants == ("1", "2")


def test_dates_become_naive_timestamps_in_utc(
    tmp_path: Path, make_spec: Build, daily: Daily
) -> None:
    table = daily(["1"], 30)
    stamps = pc.assume_timezone(table["date"].cast(pa.timestamp("s")), "Europe/Berlin")
    pq.write_table(table.set_column(1, "date", stamps), tmp_path / "s.parquet")
    data = load_fleet_data(make_spec(sources=[{"name": "sales", "path": "s.parquet"}]), now=NOW)
    assert data.table.schema.field("date").type == pa.timestamp("us")
    assert data.table["date"][0].as_py() == datetime(2023, 12, 31, 23, 0)


def test_now_defaults_to_the_clock(make_spec: Build, write_csv: WriteCsv, daily: Daily) -> None:
    write_csv(daily(["1"], 30, start=date(2100, 1, 1)))
    data = load_fleet_data(make_spec())
    assert data.failed["1"].startswith("tenant 1: 30 row(s) are dated after now")
