"""``modelfleet features list|show|materialize|get`` end to end, through the real entry point.

A tiny fleet spec in the test's tmp dir declares one view over a Parquet file the test writes
(two stores, three days) and one on-demand feature; online stores are ``memory://`` (a fresh name
per test, shared by the in-process commands) or a SQLite file in the tmp dir.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelfleet.config.spec import load_spec
from modelfleet.data.demo import DemoData
from modelfleet.features.service import FeatureStore

Cli = Callable[..., Any]
EditSpec = Callable[[Path, Callable[[dict[str, Any]], None]], None]
END = "2024-01-03T12:00:00+00:00"
SPEC = """\
name: tiny
schema: {tenant_key: store, timestamp: ts, target: sales}
sources: [{name: sales, path: sales.parquet}]
feature_views:
  - name: store_sales
    description: Sales per store
    entities: [store]
    timestamp: ts
    source: {path: sales.parquet}
    ttl: 2d
    features:
      - {name: sales, expr: sales}
      - {name: lag_1, lag: {column: sales, by: 1d}}
      - {name: mean_2, rolling: {column: sales, window: 2d, agg: mean}}
      - {name: dow, calendar: dayofweek}
on_demand_features:
  - {name: double_sales, expr: "sales * 2"}
"""
EXPECTED = {
    1: {"store": 1, "sales": 30, "lag_1": 20, "mean_2": 25.0, "dow": 3, "double_sales": 60},
    2: {"store": 2, "sales": 7, "lag_1": None, "mean_2": 7.0, "dow": 3, "double_sales": 14},
}


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    """The tiny spec; store 1 sells on Jan 1-3 2024, store 2 on Jan 1 and 3."""
    folder = tmp_path / "fleet"
    folder.mkdir()
    days = [datetime(2024, 1, d) for d in (1, 2, 3, 1, 3)]
    table = pa.table(
        {
            "store": [1, 1, 1, 2, 2],
            "ts": pa.array(days, pa.timestamp("us")),
            "sales": [10, 20, 30, 5, 7],
        }
    )
    pq.write_table(table, folder / "sales.parquet")
    (folder / "fleet.yaml").write_text(SPEC, encoding="utf-8")
    return folder / "fleet.yaml"


@pytest.fixture
def online() -> str:
    """A memory online store of this test's own."""
    return f"memory://cli-{uuid.uuid4().hex}"


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def materialize(cli: Cli, spec: Path, online: str, *extra: str) -> dict[str, Any]:
    result = cli("features", "materialize", str(spec), "--online-url", online, "--json", *extra)
    assert result.exit_code == 0, result.output
    [row] = json_lines(result.stdout)
    return row


def get(cli: Cli, spec: Path, online: str, *args: str) -> list[dict[str, Any]]:
    result = cli("features", "get", str(spec), *args, "--online-url", online, "--json")
    assert result.exit_code == 0, result.output
    return json_lines(result.stdout)


# ------------------------------------------------------------------------------------- list/show
def test_features_help_lists_the_subcommands(cli: Cli) -> None:
    result = cli("features", "--help")

    assert result.exit_code == 0
    assert all(name in result.stdout for name in ("list", "show", "materialize", "get"))


def test_list_shows_each_view_unmaterialized_and_the_on_demand_features(
    cli: Cli, spec: Path, online: str
) -> None:
    table = cli("features", "list", str(spec), "--online-url", online)
    scripted = cli("features", "list", str(spec), "--online-url", online, "--json")

    assert table.exit_code == 0, table.output
    assert "store_sales" in table.stdout and "double_sales" in table.stdout
    assert f"online store: {online}" in table.stdout
    view, demand = json_lines(scripted.stdout)
    assert view["kind"] == "view" and view["name"] == "store_sales"
    assert view["entities"] == ["store"] and view["feature_count"] == 4
    assert view["ttl"] == "2d" and view["online_rows"] is None and view["watermark"] is None
    assert view["version"] == load_spec(spec).feature_views[0].version
    assert demand == {
        "kind": "on_demand",
        "name": "double_sales",
        "expr": "sales * 2",
        "description": "",
    }


def test_show_prints_every_feature_with_its_kind_and_definition(
    cli: Cli, spec: Path, online: str
) -> None:
    result = cli("features", "show", str(spec), "store_sales", "--online-url", online)

    assert result.exit_code == 0, result.output
    for text in (
        "sales.parquet (parquet)",
        "never materialized",
        "sales, 1d before the event",
        "mean of sales over 2d",
        "dayofweek of the event time",
    ):
        assert text in result.stdout


def test_show_json_gives_the_definition_and_online_state(cli: Cli, spec: Path, online: str) -> None:
    materialize(cli, spec, online, "--end", END)

    result = cli("features", "show", str(spec), "store_sales", "--online-url", online, "--json")

    [shown] = json_lines(result.stdout)
    assert shown["timestamp"] == "ts" and shown["ttl"] == "2d"
    assert shown["source"] == {"path": "sales.parquet", "format": None}
    assert [(f["name"], f["kind"]) for f in shown["features"]] == [
        ("sales", "expr"),
        ("lag_1", "lag"),
        ("mean_2", "rolling"),
        ("dow", "calendar"),
    ]
    assert shown["features"][1]["lag"] == {"column": "sales", "by": "1d"}
    assert shown["online"] == {"rows": 2, "watermark": END}


# ------------------------------------------------------------------------------------- materialize
def test_materialize_is_full_first_then_incremental_from_the_watermark(
    cli: Cli, spec: Path, online: str
) -> None:
    first = materialize(cli, spec, online, "--end", END)
    second = materialize(cli, spec, online, "--end", "2024-01-05")
    again = materialize(cli, spec, online, "--end", "2024-01-05", "--full")

    assert (first["mode"], first["rows"], first["since"], first["until"]) == (
        "full",
        2,
        None,
        END,
    )
    assert (second["mode"], second["since"]) == ("incremental", END)
    assert second["rows"] == 0  # no events after the watermark
    assert (again["mode"], again["rows"]) == ("full", 2)
    listed = json_lines(cli("features", "list", str(spec), "--online-url", online, "--json").stdout)
    assert listed[0]["online_rows"] == 2
    assert listed[0]["watermark"] == "2024-01-05T00:00:00+00:00"


def test_materialize_shows_progress_and_a_result_table(cli: Cli, spec: Path, online: str) -> None:
    result = cli(
        "features", "materialize", str(spec), "--view", "store_sales", "--online-url", online
    )

    assert result.exit_code == 0, result.output
    assert "materialized 1 view(s)" in result.stdout
    assert "full" in result.stdout and "(start)" in result.stdout


def test_the_online_url_comes_from_the_flag_then_the_environment_then_the_home(
    cli: Cli, spec: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, online: str
) -> None:
    home = tmp_path / "other-home"
    cli("--home", str(home), "features", "materialize", str(spec), "--json")
    assert (home / "online.db").is_file()

    from_env = tmp_path / "env" / "online.db"
    monkeypatch.setenv("MODELFLEET_ONLINE_URL", f"sqlite:///{from_env}")
    assert cli("features", "materialize", str(spec), "--json").exit_code == 0
    assert from_env.is_file()

    flagged = cli("features", "list", str(spec), "--online-url", online, "--json")
    assert json_lines(flagged.stdout)[0]["online_rows"] is None  # the flag wins


# ------------------------------------------------------------------------------------- get
def test_get_prints_feature_values_of_one_entity(cli: Cli, spec: Path, online: str) -> None:
    materialize(cli, spec, online, "--end", END)
    args = ("features", "get", str(spec), "--entity", "store=1", "--now", END)

    table = cli(*args, "--online-url", online)
    scripted = cli(*args, "--online-url", online, "--json")

    assert table.exit_code == 0, table.output
    assert "store=1" in table.stdout and "lag_1" in table.stdout and "25" in table.stdout
    assert json_lines(scripted.stdout) == [EXPECTED[1]]


def test_get_after_materialize_matches_historical_retrieval_at_the_same_time(
    cli: Cli, spec: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'online.db'}"
    stores = [1, 2, 3]
    materialize(cli, spec, url, "--end", END)

    rows = get(cli, spec, url, "--entities-json", json.dumps({"store": stores}), "--now", END)

    at = datetime.fromisoformat(END).replace(tzinfo=None)
    entities = pa.table({"store": stores, "at": pa.array([at] * 3, pa.timestamp("us"))})
    historical = FeatureStore.from_spec(load_spec(spec)).get_historical_features(
        entities, timestamp="at"
    )
    assert historical is not None
    expected = [{k: v for k, v in row.items() if k != "at"} for row in historical.to_pylist()]
    assert rows == expected
    assert expected[:2] == [EXPECTED[1], EXPECTED[2]]


def test_get_applies_the_ttl_at_now(cli: Cli, spec: Path, online: str) -> None:
    materialize(cli, spec, online, "--end", END)

    [row] = get(cli, spec, online, "--entity", "store=1", "--now", "2024-01-06")

    assert row == {"store": 1, **{name: None for name in EXPECTED[1] if name != "store"}}


def test_get_returns_only_the_asked_features(cli: Cli, spec: Path, online: str) -> None:
    materialize(cli, spec, online, "--end", END)

    asked = ("--feature", "store_sales:lag_1", "--feature", "mean_2")

    rows = get(cli, spec, online, "--entity", "store=2", *asked, "--now", END)

    assert rows == [{"store": 2, "lag_1": None, "mean_2": 7.0}]


def test_a_view_over_the_fleets_own_data_reads_text_tenant_keys(
    cli: Cli, demo: DemoData, edit_spec: EditSpec, online: str
) -> None:
    view = {
        "name": "store_sales",
        "entities": ["tenant"],
        "timestamp": "date",
        "features": [{"name": "mean_7", "rolling": {"column": "sales", "window": "7d"}}],
    }
    edit_spec(demo.spec_path, lambda s: s.update(feature_views=[view]))
    materialize(cli, demo.spec_path, online, "--end", "2030-01-01")

    [row] = get(cli, demo.spec_path, online, "--entity", "tenant=1", "--now", "2030-01-01")

    # '1' parses as an int; the view's text keys still find tenant "1"
    assert row["tenant"] == 1 and row["mean_7"] > 0


# ------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("show", "{spec}", "nope"), ("VIEW", "no feature view named 'nope'", "store_sales")),
        (("materialize", "{spec}", "--view", "nope"), ("--view", "no feature view named 'nope'")),
        (("materialize", "{spec}", "--end", "soon"), ("--end", "ISO 8601")),
        (("get", "{spec}", "--entity", "store"), ("--entity", "COLUMN=VALUE")),
        (("get", "{spec}", "--entity", "=1"), ("--entity", "COLUMN=VALUE")),
        (("get", "{spec}", "--entity", "store=1", "--now", "noon"), ("--now", "ISO 8601")),
        (("get", "{spec}", "--entity", "shop=1"), ("--entity", "no feature view is keyed")),
        (("get", "{spec}", "--entities-json", '{"shop": [1]}'), ("--entities-json", "keyed by")),
        (("get", "{spec}", "--entities-json", '{"store": []}'), ("--entities-json", "non-zero")),
        (
            ("get", "{spec}", "--entity", "x=1", "--feature", "store_sales:sales"),
            ("--entity", "the request lacks ['store']"),
        ),
        (("get", "{spec}"), ("--entity", "store=1")),
        (("get", "{spec}", "--entity", "store=1", "--entity", "store=2"), ("--entities-json",)),
        (("get", "{spec}", "--entities-json", "{store: 1}"), ("--entities-json", "not valid JSON")),
        (
            ("get", "{spec}", "--entity", "store=1", "--feature", "store_sales:nope"),
            ("--feature", "has no feature 'nope'", "lag_1"),
        ),
        (
            ("get", "{spec}", "--entity", "store=1", "--feature", "other:*"),
            ("--feature", "no view named 'other'"),
        ),
    ],
)
def test_bad_arguments_exit_2_naming_the_flag(
    cli: Cli, spec: Path, online: str, args: tuple[str, ...], needles: tuple[str, ...]
) -> None:
    argv = [str(spec) if a == "{spec}" else a for a in args]

    result = cli("features", *argv, "--online-url", online)

    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert all(needle in result.stderr for needle in needles), result.stderr


@pytest.mark.parametrize(
    "args", [("list",), ("show", "store_sales"), ("materialize",), ("get", "--entity", "store=1")]
)
def test_a_missing_spec_exits_2_naming_the_path(
    cli: Cli, tmp_path: Path, args: tuple[str, ...]
) -> None:
    missing = tmp_path / "nope.yaml"
    command, *rest = args

    result = cli("features", command, str(missing), *rest)

    assert result.exit_code == 2, result.output
    assert "no such fleet spec file" in result.stderr and str(missing) in result.stderr
    assert "Traceback" not in result.output


def test_a_spec_without_views_says_so(cli: Cli, spec: Path, online: str) -> None:
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.split("feature_views:")[0], encoding="utf-8")

    result = cli("features", "materialize", str(spec), "--online-url", online)

    assert result.exit_code == 2
    assert "declares no feature_views" in result.stderr


def test_a_broken_online_url_is_a_clean_configuration_error(cli: Cli, spec: Path) -> None:
    result = cli("features", "list", str(spec), "--online-url", "cassandra://db")

    assert result.exit_code == 2
    assert "unknown scheme 'cassandra'" in result.stderr
    assert "Traceback" not in result.output
