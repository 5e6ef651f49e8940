"""``modelfleet monitor report``: the logged demo fleet (tenant 0's inputs jumped) in one page,
and the command that writes it. The actuals sent are the demo export's rows of the holdout
dates, so every tenant has live WMAPE figures per week."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from modelfleet.monitoring.report import RenderedReport
from modelfleet.store.alerts import NewAlertRow

SINCE = "2000-01-01T00:00:00Z"  # the holdout dates predicted lie in the demo's past
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def sent(logged: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The demo's own sales rows of each tenant's holdout dates, stored as ground truth."""
    with (logged.demo_dir / "sales.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    picked = [r for r in rows if r["date"] in set(logged.holdout_dates.get(r["store_id"], ()))]
    path = tmp_path_factory.mktemp("report-actuals") / "actuals.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(picked)
    yield logged.client.feedback(logged.spec_path, path)


@pytest.fixture(scope="module")
def made(logged: Any, sent: Any) -> RenderedReport:
    """The report of the whole log (and every predicted date since 2000), not written."""
    result: RenderedReport = logged.client.report(
        logged.spec_path,
        environment="dev",
        since=datetime(2000, 1, 1, tzinfo=UTC),
        until=logged.until,
    )
    return result


def _section(made: RenderedReport, tenant: str) -> Any:
    return next(s for s in made.report.sections if s.tenant == tenant)


def test_the_report_names_the_tenant_whose_inputs_jumped_as_drifted(
    logged: Any, made: RenderedReport
) -> None:
    lines = {line.tenant: line for line in made.report.lines}

    assert lines[logged.tenants[0]].drifted
    assert made.report.lines[0].tenant == logged.tenants[0]  # unhealthy tenants come first


def test_the_table_has_a_line_for_every_tenant_of_the_fleet(
    logged: Any, made: RenderedReport
) -> None:
    assert sorted(line.tenant for line in made.report.lines) == sorted(logged.tenants)


def test_the_drifted_tenant_gets_a_distribution_chart_of_a_drifted_column(
    logged: Any, made: RenderedReport
) -> None:
    line = next(line for line in made.report.lines if line.tenant == logged.tenants[0])
    section = _section(made, logged.tenants[0])

    captions = [chart.caption.split(":")[0] for chart in section.charts]
    assert set(captions) & set(line.drifted_columns)
    assert all(chart.svg.startswith("<svg") for chart in section.charts)


def test_a_tenant_with_actuals_gets_a_wmape_chart_per_week(
    logged: Any, made: RenderedReport
) -> None:
    section = _section(made, logged.tenants[1])

    assert any(chart.caption.startswith("WMAPE per week") for chart in section.charts)


def test_the_page_shows_live_and_holdout_wmape_of_every_scored_tenant(
    made: RenderedReport,
) -> None:
    scored = [line for line in made.report.lines if line.live_wmape is not None]

    assert scored and all(line.holdout_wmape is not None for line in scored)
    assert all(f"{line.live_wmape:.3f}" in made.html for line in scored)


def test_an_open_alert_with_a_hostile_message_is_shown_escaped(
    logged: Any, sent: Any, tmp_path: Path
) -> None:
    at = datetime.now(UTC)
    alert = NewAlertRow(
        fleet=logged.fleet,
        tenant=logged.tenants[1],
        environment="dev",
        kind="performance",
        version=None,
        message=HOSTILE,
        figures="{}",
        at=at,
    )
    (alert_id,) = logged.store.apply_alerts([alert], [], [], at)
    try:
        made = logged.client.report(
            logged.spec_path, environment="dev", since=datetime(2000, 1, 1, tzinfo=UTC)
        )
    finally:
        logged.store.apply_alerts([], [], [alert_id], datetime.now(UTC))

    assert HOSTILE not in made.html
    assert "open alert: &lt;script&gt;alert(1)&lt;/script&gt;" in made.html


def test_the_command_writes_the_file_and_states_its_size_in_json(
    logged: Any, sent: Any, run_cli: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"

    code = run_cli(
        "monitor", "report", str(logged.spec_path), "--env", "dev", "--since", SINCE,
        "--out", str(out), "--json",
    )  # fmt: skip

    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["bytes"] == out.stat().st_size
    assert summary["tenants"] == len(logged.tenants) and summary["plotted"] >= 1
    assert out.read_text().startswith("<!DOCTYPE html>")


def test_the_command_prints_the_file_and_its_size(
    logged: Any, sent: Any, run_cli: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.html"

    code = run_cli("monitor", "report", str(logged.spec_path), "--env", "dev", "--out", str(out))

    printed = "".join(capsys.readouterr().out.split())  # the console wraps a long path anywhere
    assert code == 0
    assert re.search(r"wrote.*report\.html\(\d[\d,]*KB\)", printed)
    assert f"{out.stat().st_size:,}" in printed


def test_a_rerun_replaces_the_file_and_leaves_no_temp_file(
    logged: Any, run_cli: Any, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    out.write_text("an old page")

    code = run_cli("monitor", "report", str(logged.spec_path), "--env", "dev", "--out", str(out))

    assert code == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


@pytest.mark.parametrize(
    ("where", "message"),
    [("missing/report.html", "does not exist"), (".", "is a folder")],
)
def test_an_out_path_that_cannot_be_a_file_is_refused_naming_it(
    logged: Any,
    run_cli: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    where: str,
    message: str,
) -> None:
    out = tmp_path / where

    code = run_cli("monitor", "report", str(logged.spec_path), "--env", "dev", "--out", str(out))

    err = " ".join(capsys.readouterr().err.split())
    assert code != 0
    assert message in err and "--out" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--by", "month"), "--by"),
        (("--max-tenants", "-1"), "--max-tenants"),
        (("--max-tenants", "1001"), "--max-tenants"),
        (("--max-tenants", "many"), "--max-tenants"),
        (("--since", "yesterday"), "--since"),
        (("--since", "2026-02-01T00:00:00Z", "--until", "2026-01-01T00:00:00Z"), "starts"),
        (("--until", "soon"), "--until"),
        (("--env", "../prod"), "is not declared"),
    ],
)
def test_bad_arguments_are_refused_naming_what_to_fix(
    logged: Any,
    run_cli: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    out = tmp_path / "report.html"

    code = run_cli("monitor", "report", str(logged.spec_path), "--out", str(out), *args)

    err = " ".join(capsys.readouterr().err.split())
    assert code != 0
    assert message in err
    assert not out.exists()


def test_the_command_without_out_is_refused_naming_the_option(
    logged: Any, run_cli: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli("monitor", "report", str(logged.spec_path), "--env", "dev")

    assert code == 2
    assert "--out" in capsys.readouterr().err


def _report(logged: Any, **options: Any) -> RenderedReport:
    result: RenderedReport = logged.client.report(
        logged.spec_path,
        environment="dev",
        since=datetime(2000, 1, 1, tzinfo=UTC),
        until=logged.until,
        **options,
    )
    return result


def test_a_report_asked_without_out_is_returned_and_not_written(made: RenderedReport) -> None:
    assert made.path is None
    assert made.bytes == len(made.html.encode()) and made.html.startswith("<!DOCTYPE html>")


def test_max_tenants_charts_the_most_drifted_tenant_first_and_counts_the_rest(
    logged: Any, sent: Any
) -> None:
    made = _report(logged, max_tenants=1)

    assert [s.tenant for s in made.report.sections] == [logged.tenants[0]]
    assert made.report.left_over == len(logged.tenants) - 1
    assert len(made.report.lines) == len(logged.tenants)


def test_max_tenants_zero_gives_the_table_alone(logged: Any, sent: Any) -> None:
    made = _report(logged, max_tenants=0)

    assert made.report.sections == () and "<svg" not in made.html
    assert len(made.report.lines) == len(logged.tenants)


def test_by_day_charts_wmape_per_day(logged: Any, sent: Any) -> None:
    made = _report(logged, by="day")

    captions = [c.caption for s in made.report.sections for c in s.charts]
    assert "WMAPE per day of the dates predicted" in captions


def test_a_missing_spec_is_refused_naming_the_file(
    run_cli: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.yaml"

    code = run_cli("monitor", "report", str(missing), "--out", str(tmp_path / "r.html"))

    assert code != 0
    assert "nowhere.yaml" in "".join(capsys.readouterr().err.split())
    assert not (tmp_path / "r.html").exists()
