"""The fleet report page: a row per tenant, user data escaped, a sort script, nothing external,
and a file written whole or not at all."""

from __future__ import annotations

import base64
import hashlib
import re
import resource
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from modelfleet.errors import UsageError
from modelfleet.monitoring.charts import distribution_svg, series_svg
from modelfleet.monitoring.performance import PerformanceReport, PerformanceRow
from modelfleet.monitoring.report import (
    SORT_SCRIPT,
    Chart,
    FleetReport,
    TenantLine,
    TenantSection,
    _worth_a_look,
    render_html,
    write_html,
)

HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
AT = datetime(2026, 12, 1, tzinfo=UTC)


def _line(tenant: str, **changes: object) -> TenantLine:
    fields: dict[str, object] = {
        "tenant": tenant,
        "version": "1.0.0",
        "drift_rows": 120,
        "drift_share": 0.0,
        "drifted": False,
        "drifted_columns": (),
        "not_monitored": None,
        "live_wmape": 0.2,
        "holdout_wmape": 0.19,
        "change": 0.05,
        "degraded": False,
        "open_alerts": 0,
    }
    fields.update(changes)
    return TenantLine(**fields)  # type: ignore[arg-type]


def _report(
    lines: list[TenantLine], sections: tuple[TenantSection, ...] = (), left_over: int = 0
) -> FleetReport:
    return FleetReport(
        fleet="demo",
        environment="prod",
        generated_at=AT,
        drift_span=(AT, AT),
        performance_span=(AT, AT),
        logged_rows=100,
        lines=tuple(lines),
        sections=sections,
        left_over=left_over,
        drifted=sum(line.drifted for line in lines),
        degraded=sum(line.degraded for line in lines),
    )


def _charted(tenant: str, caption: str = "x: 120 current value(s)", alert: str = "") -> FleetReport:
    chart = distribution_svg(["a", "b"], np.array([0.5, 0.5]), np.array([0.9, 0.1]))
    series = series_svg(["2026-11-23", "2026-11-30"], np.array([0.2, 0.3]), reference=0.2)
    section = TenantSection(
        tenant=tenant,
        anchor="tenant-0",
        charts=(Chart(caption, chart), Chart("WMAPE per week", series)),
        more_columns=0,
        alerts=(alert,) if alert else (),
    )
    return _report([_line(tenant, drifted=True, drifted_columns=("x",))], (section,))


def _body_rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>.*?</tr>", body, flags=re.DOTALL)


def test_the_table_has_one_row_for_every_tenant() -> None:
    lines = [_line(str(i)) for i in range(1000)]

    rows = _body_rows(render_html(_report(lines)))

    assert len(rows) == 1000
    assert all(f">{i}</td>" in row for i, row in enumerate(rows))


def test_a_thousand_tenant_table_without_charts_stays_below_one_mb() -> None:
    lines = [_line(f"store-{i:04d}") for i in range(1000)]

    assert len(render_html(_report(lines)).encode()) < 1_000_000


def test_a_hostile_tenant_id_is_escaped_in_the_table_and_its_section() -> None:
    html = render_html(_charted(HOSTILE))

    assert HOSTILE not in html
    assert f">{ESCAPED}</a></td>" in html and f"<h2>{ESCAPED}</h2>" in html


def test_a_hostile_feature_name_is_escaped_in_the_drift_column_and_caption() -> None:
    report = _charted("3", caption=f"{HOSTILE}: 120 current value(s)")
    report = _report([_line("3", drifted=True, drifted_columns=(HOSTILE,))], report.sections)

    html = render_html(report)

    assert HOSTILE not in html
    assert f"drifted: {ESCAPED}" in html and f"<figcaption>{ESCAPED}:" in html


def test_a_hostile_alert_message_is_escaped() -> None:
    html = render_html(_charted("3", alert=HOSTILE))

    assert HOSTILE not in html
    assert f"open alert: {ESCAPED}" in html


def test_a_hostile_reason_for_not_monitoring_is_escaped_in_its_attribute() -> None:
    reason = '"><script>alert(1)</script>'

    html = render_html(_report([_line("3", drift_share=None, not_monitored=reason)]))

    assert reason not in html
    assert 'title="&#34;&gt;&lt;script&gt;' in html


def test_the_page_carries_the_sort_script_bound_to_the_table_headers() -> None:
    html = render_html(_report([_line("1"), _line("2")]))

    assert f"<script>{SORT_SCRIPT}</script>" in html
    assert 'querySelectorAll("table.fleet th")' in SORT_SCRIPT
    assert html.count("<th>") == 10


def test_the_content_security_policy_allows_only_the_sort_script_by_its_hash() -> None:
    digest = base64.b64encode(hashlib.sha256(SORT_SCRIPT.encode()).digest()).decode()

    html = render_html(_report([_line("1")]))

    assert f"script-src 'sha256-{digest}'" in html and "default-src 'none'" in html
    assert html.count("<script") == 1


def test_the_page_refers_to_nothing_outside_itself() -> None:
    html = render_html(_charted("3"))

    for external in ('src="http', "src='http", 'href="http', "@import", "url(http", "<link"):
        assert external not in html
    assert set(re.findall(r"https?://[^\s\"'<>)]+", html)) == {"http://www.w3.org/2000/svg"}


def test_numbers_carry_sort_keys_and_a_missing_one_shows_a_dash() -> None:
    html = render_html(_report([_line("1", live_wmape=None, change=0.25)]))

    assert '<td class="n" data-v="">-</td>' in html
    assert '<td class="n" data-v="0.25">+25.0%</td>' in html


def test_a_degraded_tenant_is_marked_degraded() -> None:
    html = render_html(_report([_line("1", degraded=True, change=0.4)]))

    assert '<td class="bad">degraded</td>' in html


def test_tenants_beyond_max_tenants_are_counted_on_the_page() -> None:
    html = render_html(_report([_line("1")], left_over=7))

    assert "7 more tenant(s) have charts to show" in html


def test_a_charted_tenant_links_to_its_section() -> None:
    html = render_html(_charted("3"))

    assert '<a href="#tenant-0">3</a>' in html and '<section id="tenant-0">' in html


def test_write_html_writes_the_page_and_returns_its_bytes(tmp_path: Path) -> None:
    out = tmp_path / "report.html"

    size = write_html("<p>é</p>", out)

    assert out.read_bytes() == "<p>é</p>".encode() and size == len("<p>é</p>".encode())


def test_write_html_replaces_an_existing_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    out.write_text("old")

    write_html("new", out)

    assert out.read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_write_html_into_a_missing_folder_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"--out .*missing.*does not exist; create it first"):
        write_html("x", tmp_path / "missing" / "report.html")


def test_write_html_at_a_folder_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"is a folder: give a file name"):
        write_html("x", tmp_path)


@pytest.mark.parametrize(
    "name", [pytest.param("bad\0name.html", id="NUL byte"), pytest.param("r" * 300, id="too long")]
)
def test_an_out_name_no_filesystem_takes_is_refused_naming_it(tmp_path: Path, name: str) -> None:
    with pytest.raises(UsageError, match=r"--out .* cannot be a file name"):
        write_html("x", tmp_path / name)

    assert list(tmp_path.iterdir()) == []


def test_a_long_file_name_is_written_beside_a_temp_file_that_fits(tmp_path: Path) -> None:
    out = tmp_path / ("r" * 250 + ".html")

    write_html("page", out)

    assert out.read_text() == "page" and [p.name for p in tmp_path.iterdir()] == [out.name]


@pytest.fixture
def small_files() -> Iterator[int]:
    """This process may write files of at most 1,000 bytes (the OS refuses more with EFBIG)."""
    limit = 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error, not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield limit
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_a_write_failing_midway_keeps_the_old_file_and_leaves_no_temp_file(
    tmp_path: Path, small_files: int
) -> None:
    out = tmp_path / "report.html"
    out.write_text("old page")

    with pytest.raises(UsageError, match=r"cannot write --out .*report\.html: File too large"):
        write_html("x" * (small_files * 10), out)

    assert out.read_text() == "old page"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def _periods(*tenants: str) -> PerformanceReport:
    rows = tuple(
        PerformanceRow(t, "1.0.0", "champion", "2026-11-30", 10, 0.2, 1.0, 1.0, 0.2, 0.0, False)
        for t in tenants
    )
    return PerformanceReport("demo", "prod", AT, AT, "week", 0.05, 7, rows)


def test_tenants_worth_a_look_come_drifted_then_degraded_then_alerting_then_scored() -> None:
    lines = [
        _line("scored"),
        _line("alerting", open_alerts=2),
        _line("degraded", degraded=True, change=0.5),
        _line("drifted a little", drifted=True, drift_share=0.3),
        _line("drifted a lot", drifted=True, drift_share=0.9),
    ]

    chosen = _worth_a_look(lines, _periods("scored", "degraded"))

    assert [line.tenant for line in chosen] == [
        "drifted a lot",
        "drifted a little",
        "degraded",
        "alerting",
        "scored",
    ]


def test_a_healthy_tenant_without_figures_gets_no_section() -> None:
    chosen = _worth_a_look([_line("quiet"), _line("scored")], _periods("scored"))

    assert [line.tenant for line in chosen] == ["scored"]
