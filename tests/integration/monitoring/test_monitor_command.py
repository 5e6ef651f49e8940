"""``modelfleet monitor drift``: tables for people, JSON lines for scripts, clear refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_json_lines_hold_a_summary_every_tenant_and_the_drifted_columns(
    logged: Any, run_cli: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli("monitor", "drift", str(logged.spec_path), "--env", "dev", "--json")

    records = _lines(capsys.readouterr().out)
    assert code == 0
    summary = records[0]
    assert summary["record"] == "summary" and summary["tenants"] == len(logged.tenants)
    tenants = {r["tenant"]: r for r in records if r["record"] == "tenant"}
    assert set(tenants) == set(logged.tenants)
    assert tenants[logged.tenants[0]]["drifted"] is True
    assert tenants[logged.tenants[0]]["version"]
    columns = [r for r in records if r["record"] == "column"]
    assert {c["tenant"] for c in columns if c["kind"] != "prediction"} >= {logged.tenants[0]}


def test_the_table_lists_drifted_tenants_first_with_their_columns(
    logged: Any, run_cli: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli("monitor", "drift", str(logged.spec_path), "--env", "dev", "--columns")

    out = capsys.readouterr().out
    assert code == 0
    flat = " ".join(out.split())  # the console wraps long lines at its width
    assert "tenant(s) drifted" in flat and "drifted columns" in flat
    body = out.split("tenant ", 1)[1]
    first_row = next(line for line in body.splitlines()[2:] if line.strip())
    assert first_row.split()[0] == logged.tenants[0]


def test_a_span_without_logged_rows_tests_nothing_and_says_so(
    logged: Any, run_cli: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli(
        "monitor", "drift", str(logged.spec_path), "--env", "dev", "--json",
        "--since", "2020-01-01T00:00:00Z", "--until", "2020-01-02T00:00:00Z",
    )  # fmt: skip

    records = _lines(capsys.readouterr().out)
    assert code == 0
    assert records[0]["logged_rows"] == 0 and records[0]["drifted"] == 0
    assert all(r["tested"] == 0 for r in records if r["record"] == "tenant")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "yesterday"), "--since"),
        (("--until", "soon"), "--until"),
        (("--since", "2026-02-01T00:00:00Z", "--until", "2026-01-01T00:00:00Z"), "starts"),
        (("--env", "../prod"), "is not declared"),
    ],
)
def test_bad_arguments_are_refused_naming_what_to_fix(
    logged: Any,
    run_cli: Any,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    code = run_cli("monitor", "drift", str(logged.spec_path), *args)

    captured = capsys.readouterr()
    assert code == 2
    assert message in captured.err
    assert "Traceback" not in captured.err


def test_a_spec_with_a_bad_monitoring_block_is_refused_naming_the_field(
    logged: Any, run_cli: Any, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    import yaml

    spec = yaml.safe_load(logged.spec_path.read_text())
    spec["monitoring"] = {"drift": {"alpha": 2, "window": "soon"}}
    bad = logged.spec_path.parent / "bad-monitoring.yaml"
    bad.write_text(yaml.safe_dump(spec))

    code = run_cli("monitor", "drift", str(bad), "--env", "dev")

    err = capsys.readouterr().err
    assert code == 2
    assert "monitoring.drift.alpha" in err and "monitoring.drift.window" in err
