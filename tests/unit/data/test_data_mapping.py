"""Mapping raw sources onto the canonical schema: names, required columns and type conversion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from modelfleet.config.spec import FleetSpec
from modelfleet.data.canonical import TENANT_COLUMN
from modelfleet.data.mapping import MappedSource, map_source
from modelfleet.data.sources import RawSource, read_source
from modelfleet.errors import ConfigError, SourceError

Build = Callable[..., FleetSpec]
REQUIRED = ("store", "date", "sales")


def _map_csv(
    tmp_path: Path,
    make_spec: Build,
    text: str,
    *,
    source: dict[str, Any] | None = None,
    schema: dict[str, Any] | None = None,
    **kwargs: Any,
) -> MappedSource:
    (tmp_path / "sales.csv").write_bytes(text.encode("utf-8"))
    changes: dict[str, Any] = {
        "sources": [{"name": "sales", "path": "sales.csv", **(source or {})}]
    }
    if schema is not None:
        changes["schema"] = schema
    spec = make_spec(**changes)
    raw = read_source(spec, spec.sources[0])
    required = kwargs.pop("required", REQUIRED)
    return map_source(raw, spec.sources[0], spec.data_schema, required=required, **kwargs)


def test_columns_are_renamed_typed_and_extra_ones_dropped(tmp_path: Path, make_spec: Build) -> None:
    mapped = _map_csv(
        tmp_path,
        make_spec,
        "Filiale,Tag,Umsatz,promo,ignored\n7,2024-01-02,12.5,1,x\n",
        source={"columns": {"store": "Filiale", "date": "Tag", "sales": "Umsatz"}},
    )
    row = mapped.table.to_pylist()[0]
    assert row == {
        TENANT_COLUMN: "7",
        "store": "7",
        "date": datetime(2024, 1, 2),
        "sales": 12.5,
        "promo": 1,
        "_source": "sales.csv line",
        "_row": 2,
    }
    assert mapped.columns == ("store", "date", "sales", "promo")
    assert mapped.table.schema.field("date").type == pa.timestamp("us")
    assert mapped.findings == ()


def test_missing_mapped_column_lists_the_columns_the_file_has(
    tmp_path: Path, make_spec: Build
) -> None:
    with pytest.raises(SourceError) as caught:
        _map_csv(
            tmp_path,
            make_spec,
            "store,date,Sales\n1,2024-01-01,3\n",
            source={"columns": {"sales": "Umsatz"}},
        )
    message = str(caught.value)
    assert "source 'sales'" in message and "sales.csv" in message
    assert "'Umsatz' (mapped to 'sales')" in message
    assert "The source has columns: 'store', 'date', 'Sales'" in message


def test_missing_required_column_suggests_a_close_name(tmp_path: Path, make_spec: Build) -> None:
    with pytest.raises(SourceError) as caught:
        _map_csv(tmp_path, make_spec, "store,date,Sales\n1,2024-01-01,3\n")
    message = str(caught.value)
    assert "'sales' (required; map it under sources[sales].columns)" in message
    assert "did you mean 'Sales'?" in message


def test_wrong_delimiter_hint_names_the_likely_delimiter(tmp_path: Path, make_spec: Build) -> None:
    with pytest.raises(SourceError) as caught:
        _map_csv(tmp_path, make_spec, "store;date;sales\n1;2024-01-01;3\n")
    message = str(caught.value)
    assert "read as a single column" in message
    assert "set csv.delimiter: ';'" in message


def test_mapping_to_a_column_outside_the_schema_is_a_config_error(
    tmp_path: Path, make_spec: Build
) -> None:
    with pytest.raises(ConfigError, match=r"maps \['price'\], which are not columns"):
        _map_csv(
            tmp_path,
            make_spec,
            "store,date,sales\n1,2024-01-01,3\n",
            source={"columns": {"price": "p"}},
        )


def test_non_numeric_target_cells_become_findings_with_lines(
    tmp_path: Path, make_spec: Build
) -> None:
    mapped = _map_csv(
        tmp_path,
        make_spec,
        "store,date,sales\n1,2024-01-01,3\n1,2024-01-02,abc\n2,2024-01-01,n.a.\n",
    )
    assert mapped.table.column("sales").to_pylist() == [3.0, None, None]
    by_tenant = {f.tenant: f for f in mapped.findings}
    assert set(by_tenant) == {"1", "2"}
    finding = by_tenant["1"]
    assert (finding.check, finding.severity, finding.column, finding.count) == (
        "types",
        "error",
        "sales",
        1,
    )
    assert finding.examples == ("sales.csv line 3: 'abc'",)
    assert finding.message.startswith("tenant 1: 1 value(s) of column 'sales' in source 'sales'")
    assert "are not a number" in finding.message
    assert mapped.bad_cells == {("1", "sales"): 1, ("2", "sales"): 1}


def test_unparseable_dates_point_at_date_format(tmp_path: Path, make_spec: Build) -> None:
    mapped = _map_csv(tmp_path, make_spec, "store,date,sales\n1,31.01.2024,3\n1,2024-02-01,4\n")
    (finding,) = mapped.findings
    assert finding.column == "date" and finding.tenant == "1"
    assert finding.examples == ("sales.csv line 2: '31.01.2024'",)
    assert "set csv.date_format" in finding.message


def test_date_format_parses_day_first_dates(tmp_path: Path, make_spec: Build) -> None:
    mapped = _map_csv(
        tmp_path,
        make_spec,
        "store,date,sales\n1,31.01.2024,3\n",
        source={"csv": {"date_format": "%d.%m.%Y"}},
    )
    assert mapped.table.column("date").to_pylist() == [datetime(2024, 1, 31)]


def test_decimal_comma_parses_and_thousands_separators_are_flagged(
    tmp_path: Path, make_spec: Build
) -> None:
    mapped = _map_csv(
        tmp_path,
        make_spec,
        "store;date;sales\n1;2024-01-01;1234,56\n1;2024-01-02;1.234,56\n",
        source={"csv": {"delimiter": ";", "decimal": ","}},
    )
    assert mapped.table.column("sales").to_pylist() == [1234.56, None]
    (finding,) = mapped.findings
    assert "thousands separators" in finding.message
    assert "decimal mark ','" in finding.message


@pytest.mark.parametrize(
    ("cell", "value"), [("3", 3), ("3.0", 3), (" 4 ", 4), ("3.5", None), ("x", None)]
)
def test_int_columns_accept_only_whole_numbers(
    tmp_path: Path, make_spec: Build, cell: str, value: int | None
) -> None:
    mapped = _map_csv(tmp_path, make_spec, f"store,date,sales,promo\n1,2024-01-01,1,{cell}\n")
    assert mapped.table.column("promo").to_pylist() == [value]
    assert len(mapped.findings) == (value is None)


def test_bool_date_and_str_columns_convert(tmp_path: Path, make_spec: Build) -> None:
    schema = {
        "tenant_key": "store",
        "timestamp": "date",
        "target": "sales",
        "columns": {"open": "bool", "opened": "date", "note": "str"},
    }
    mapped = _map_csv(
        tmp_path,
        make_spec,
        "store,date,sales,open,opened,note\n1,2024-01-01,1,Yes,2020-05-01, hi \n"
        "1,2024-01-02,1,0,,\n",
        schema=schema,
    )
    rows = mapped.table.select(["open", "opened", "note"]).to_pylist()
    assert rows == [
        {"open": True, "opened": date(2020, 5, 1), "note": "hi"},
        {"open": False, "opened": None, "note": None},
    ]


def test_float_keys_become_integer_text(make_spec: Build) -> None:
    spec = make_spec()
    table = pa.table(
        {
            "store": pa.array([12.0, 3.5, None]),
            "date": pa.array([date(2024, 1, 1)] * 3),
            "sales": pa.array([1.0, 2.0, float("nan")]),
        }
    )
    raw = RawSource("sales", "source 'sales' (x.parquet)", "x.parquet row", 1, table)
    mapped = map_source(raw, spec.sources[0], spec.data_schema, required=REQUIRED)
    assert mapped.table.column(TENANT_COLUMN).to_pylist() == ["12", "3.5", None]
    # NaN is pandas' "missing", not a bad cell.
    assert mapped.table.column("sales").to_pylist() == [1.0, 2.0, None]
    assert mapped.findings == ()


def test_multi_column_key_joins_with_dash_and_needs_every_part(
    tmp_path: Path, make_spec: Build
) -> None:
    schema = {"tenant_key": ["store", "dept"], "timestamp": "date", "target": "sales"}
    mapped = _map_csv(
        tmp_path,
        make_spec,
        "store,dept,date,sales\n12,3,2024-01-01,1\n12,,2024-01-01,1\n",
        schema=schema,
        required=("store", "dept", "date", "sales"),
    )
    assert mapped.table.column(TENANT_COLUMN).to_pylist() == ["12-3", None]


def test_key_values_fill_key_columns_the_file_lacks(tmp_path: Path, make_spec: Build) -> None:
    mapped = _map_csv(
        tmp_path,
        make_spec,
        "date,sales\n2024-01-01,1\n",
        key_values={"store": "berlin"},
        tenant="berlin",
    )
    assert mapped.table.select([TENANT_COLUMN, "store"]).to_pylist() == [
        {TENANT_COLUMN: "berlin", "store": "berlin"}
    ]


def test_findings_of_a_tenants_own_file_name_that_tenant(tmp_path: Path, make_spec: Build) -> None:
    mapped = _map_csv(
        tmp_path,
        make_spec,
        "date,sales\n2024-01-01,oops\n",
        key_values={"store": "berlin"},
        tenant="berlin",
    )
    (finding,) = mapped.findings
    assert finding.tenant == "berlin" and finding.severity == "error"
    assert finding.message.startswith("tenant berlin: ")


def test_bad_cells_in_a_shared_lookup_table_are_fleet_warnings(
    tmp_path: Path, make_spec: Build
) -> None:
    schema = {
        "tenant_key": "store",
        "timestamp": "date",
        "target": "sales",
        "columns": {"holiday": "int"},
    }
    mapped = _map_csv(
        tmp_path, make_spec, "date,holiday\n2024-01-01,yes?\n", schema=schema, required=("date",)
    )
    (finding,) = mapped.findings
    assert (finding.tenant, finding.severity, finding.column) == (None, "warning", "holiday")
    assert "treated as missing" in finding.message
