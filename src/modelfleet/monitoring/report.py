"""The fleet report (``modelfleet monitor report``): one self-contained HTML page to look at.

:func:`build_report` gathers, from the monitoring use cases (:mod:`.service`: drift, performance
and status), one table line per tenant (live version, drift share and verdict, live vs holdout
WMAPE, open alerts) and, for the tenants worth a look (drifted first, then degraded, then the
others with figures; at most ``max_tenants``), charts (:mod:`.charts`): reference vs current
distributions of the drifted columns, binned by the version's profile, and WMAPE per day or
week against the holdout. :func:`render_html` makes the page with Jinja2, autoescaping on (tenant
ids, column names and alert messages are user data); its only script is the table sort, allowed
by hash in the page's Content-Security-Policy, which also forbids every fetch, so the page works
offline and nothing injected could run. :func:`write_html` writes it atomically.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import math
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np

from modelfleet.config.spec import FleetSpec
from modelfleet.errors import UsageError
from modelfleet.monitoring.distribution import Distribution, distribution
from modelfleet.monitoring.drift import PREDICTION
from modelfleet.monitoring.performance import PerformanceReport, PerformanceRow, Period
from modelfleet.monitoring.service import DriftReport, drift_report, performance, status
from modelfleet.monitoring.windows import live_window
from modelfleet.registry.reads import ArtifactStores
from modelfleet.store import MetadataStore

if TYPE_CHECKING:
    import jinja2

DEFAULT_MAX_TENANTS: Final = 50  # charted tenants: at most 3.4 MB (six charts each, measured)
MAX_TENANTS: Final = 1000
MAX_COLUMNS: Final = 4  # distribution charts per tenant, strongest drift first
LIVE_ARM: Final = "champion"  # the arm the table reports: what the alias answers with


@dataclass(frozen=True)
class TenantLine:
    """One tenant's row of the fleet table (None: not known, shown as a dash)."""

    tenant: str
    version: str | None
    drift_rows: int
    drift_share: float | None  # None: not monitored (see not_monitored)
    drifted: bool
    drifted_columns: tuple[str, ...]
    not_monitored: str | None
    live_wmape: float | None
    holdout_wmape: float | None
    change: float | None
    degraded: bool
    open_alerts: int


@dataclass(frozen=True)
class Chart:
    """One chart of a tenant's section: a caption (user data, escaped) and its inline SVG."""

    caption: str
    svg: str


@dataclass(frozen=True)
class TenantSection:
    """A tenant's charts and open alert messages."""

    tenant: str
    anchor: str  # the section's HTML id: made by the report, never the tenant id itself
    charts: tuple[Chart, ...]
    more_columns: int  # drifted columns beyond MAX_COLUMNS, not charted
    alerts: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class FleetReport:
    """Everything the page shows: spans, one line per tenant, the charted sections."""

    fleet: str
    environment: str
    generated_at: datetime
    drift_span: tuple[datetime, datetime]
    performance_span: tuple[datetime, datetime]
    logged_rows: int
    lines: tuple[TenantLine, ...]
    sections: tuple[TenantSection, ...]
    left_over: int  # tenants worth a section beyond max_tenants
    drifted: int  # tenants whose drift verdict is drifted
    degraded: int  # tenants whose live WMAPE is worse than the holdout's beyond the policy


def build_report(
    store: MetadataStore,
    stores: ArtifactStores,
    spec: FleetSpec,
    environment: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    by: Period = "week",
    max_tenants: int = DEFAULT_MAX_TENANTS,
) -> FleetReport:
    """The report of ``spec``'s fleet in ``environment``: drift over ``[since, until)`` (default
    the spec's drift window), performance over it (default the spec's performance window)."""
    if by not in ("day", "week"):
        raise UsageError(f"--by {by!r}: the WMAPE chart is per day or per week")
    if not 0 <= max_tenants <= MAX_TENANTS:
        raise UsageError(
            f"--max-tenants {max_tenants}: give 0 (the table only) to {MAX_TENANTS}; the table "
            "always lists every tenant"
        )
    drift = drift_report(store, stores, spec, environment, since=since, until=until)
    overall = performance(store, spec, environment, since=since, until=until)
    periods = performance(store, spec, environment, since=since, until=until, by=by)
    health = status(store, spec.name, environment)
    lines = _lines(drift, overall, {s.tenant: (s.version, len(s.alerts)) for s in health})
    chosen = _worth_a_look(lines, periods)
    alerts = {s.tenant: tuple(a.message for a in s.alerts) for s in health}
    sections = _sections(store, stores, drift, periods, chosen[:max_tenants], alerts)
    return FleetReport(
        fleet=spec.name,
        environment=drift.environment,
        generated_at=datetime.now(UTC),
        drift_span=(drift.since, drift.until),
        performance_span=(overall.since, overall.until),
        logged_rows=drift.logged_rows,
        lines=lines,
        sections=sections,
        left_over=max(0, len(chosen) - max_tenants),
        drifted=sum(line.drifted for line in lines),
        degraded=sum(line.degraded for line in lines),
    )


def _live_rows(
    report: PerformanceReport, versions: Mapping[str, str | None]
) -> dict[str, list[PerformanceRow]]:
    """Per tenant, the performance rows of its live version's champion arm, in period order."""
    found: dict[str, list[PerformanceRow]] = {}
    for row in report.rows:  # one row per group, already aggregated: a few per tenant
        if row.arm == LIVE_ARM and versions.get(row.tenant) == row.version:
            found.setdefault(row.tenant, []).append(row)
    return found


def _lines(
    drift: DriftReport, overall: PerformanceReport, health: Mapping[str, tuple[str | None, int]]
) -> tuple[TenantLine, ...]:
    """Every tenant the registry, the drift pass or the alerts know, unhealthy ones first."""
    judged = {t.tenant: t for t in drift.result.tenants}
    versions = {t: v for t, (v, _) in health.items()} | dict(drift.versions)
    perf = {t: rows[0] for t, rows in _live_rows(overall, versions).items()}
    lines = []
    for tenant in sorted(set(health) | set(judged) | set(drift.left_out)):
        verdict, row = judged.get(tenant), perf.get(tenant)
        reason = drift.left_out.get(tenant) or (
            None if verdict else "no live version in this environment"
        )
        lines.append(
            TenantLine(
                tenant=tenant,
                version=versions.get(tenant),
                drift_rows=verdict.rows if verdict else 0,
                drift_share=verdict.share if verdict and verdict.tested else None,
                drifted=bool(verdict and verdict.drifted),
                drifted_columns=verdict.drifted_columns if verdict else (),
                not_monitored=reason,
                live_wmape=row.wmape if row and math.isfinite(row.wmape) else None,
                holdout_wmape=row.holdout_wmape if row else None,
                change=row.change if row else None,
                degraded=bool(row and row.degraded),
                open_alerts=health.get(tenant, (None, 0))[1],
            )
        )
    lines.sort(key=lambda line: (not line.drifted, not line.degraded, not line.open_alerts))
    return tuple(lines)


def _worth_a_look(lines: Sequence[TenantLine], periods: PerformanceReport) -> list[TenantLine]:
    """Tenants with something to chart or an alert to show: drifted first (largest share),
    then degraded (largest change), then alerting, then the others with WMAPE figures."""
    with_figures = {row.tenant for row in periods.rows}
    chosen = [
        line for line in lines if line.drifted or line.open_alerts or line.tenant in with_figures
    ]
    return sorted(
        chosen,
        key=lambda line: (
            not line.drifted,
            -(line.drift_share or 0.0),
            not line.degraded,
            -(line.change or 0.0),
            not line.open_alerts,
        ),
    )


def _sections(
    store: MetadataStore,
    stores: ArtifactStores,
    drift: DriftReport,
    periods: PerformanceReport,
    chosen: Sequence[TenantLine],
    alerts: Mapping[str, tuple[str, ...]],
) -> tuple[TenantSection, ...]:
    """The charts of the chosen tenants: their drifted columns' distributions (read from the
    drift pass's own window) and WMAPE per period of the live version."""
    from modelfleet.monitoring import charts  # matplotlib: loaded by the report alone

    drifted = [line for line in chosen if line.drifted_columns]
    window, same = None, set()
    if drifted:
        # drift_report keeps verdicts, not rows: the window is read again for the charts, over
        # the very span the verdicts came from (one more scan of the log, only when charted).
        live = live_window(store, stores, drift.fleet, drift.environment, drift.since, drift.until)
        window = live.window
        # A tenant whose alias moved between the two reads is charted only by its WMAPE.
        same = {t for t, v in live.versions.items() if drift.versions.get(t) == v}
    series = _live_rows(periods, {line.tenant: line.version for line in chosen})
    effects = {(c.tenant, c.column): c.effect for c in drift.result.drifted_columns()}
    out = []
    for n, line in enumerate(chosen):
        made: list[Chart] = []
        columns = sorted(line.drifted_columns, key=lambda c: -effects.get((line.tenant, c), 0))
        if window is not None and line.tenant in same:
            for column in columns[:MAX_COLUMNS]:
                found = distribution(window, line.tenant, column)
                made.append(_distribution_chart(found))
            if drift.result.tenant(line.tenant).prediction.drifted:
                made.append(_distribution_chart(distribution(window, line.tenant, PREDICTION)))
        rows = series.get(line.tenant, [])
        if rows:
            values = np.array([r.wmape for r in rows], dtype=np.float64)
            svg = charts.series_svg(
                [r.period for r in rows], values, reference=rows[0].holdout_wmape
            )
            made.append(Chart(f"WMAPE per {periods.by} of the dates predicted", svg))
        out.append(
            TenantSection(
                tenant=line.tenant,
                anchor=f"tenant-{n}",
                charts=tuple(made),
                more_columns=max(0, len(columns) - MAX_COLUMNS),
                alerts=alerts.get(line.tenant, ()),
            )
        )
    return tuple(out)


def _distribution_chart(found: Distribution) -> Chart:
    from modelfleet.monitoring import charts

    # Categories are labelled by code: the window holds codes, and their names are in each
    # version's package metadata, which the drift pass reads but does not hand on.
    svg = charts.profile_svg(found.kind, found.edges, found.reference, found.current)
    return Chart(f"{found.column}: {found.rows} current value(s) against training", svg)


# The table sort: a click on a header sorts by that column (numbers by their data-v value,
# text in natural order: tenant "2" before "10"); a second click reverses it.
SORT_SCRIPT: Final = """
document.querySelectorAll("table.fleet th").forEach(function (th, i) {
  th.addEventListener("click", function () {
    var body = th.closest("table").tBodies[0], up = th.dataset.dir !== "asc";
    th.dataset.dir = up ? "asc" : "desc";
    var key = function (r) { var c = r.cells[i]; return c.dataset.v ?? c.textContent; };
    Array.from(body.rows).sort(function (a, b) {
      var x = key(a), y = key(b), d = (x === "" || y === "" || isNaN(x) || isNaN(y))
        ? x.localeCompare(y, undefined, {numeric: true}) : x - y;
      return up ? d : -d;
    }).forEach(function (r) { body.appendChild(r); });
  });
});
"""

_STYLE: Final = """body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table.fleet{border-collapse:collapse}.fleet th{cursor:pointer;background:#f3f3f3}
.fleet th,.fleet td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}
.fleet td.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#888}
.bad{color:#b00020;font-weight:600}.charts{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0}figcaption{font-size:12px;color:#555}"""

# Markup only: every value goes through autoescaping except the charts and the script.
_PAGE: Final = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; style-src 'unsafe-inline'; script-src '{{ script_hash }}'">
<title>{{ r.fleet }} @ {{ r.environment }}: fleet report</title>
<style>{{ style }}</style></head><body>
<h1>{{ r.fleet }} @ {{ r.environment }}</h1>
<p>Drift {{ r.drift_span | span }} ({{ r.logged_rows }} logged row(s)); performance of the
dates predicted {{ r.performance_span | span }}. {{ r.lines | length }} tenant(s):
{{ r.drifted }} drifted, {{ r.degraded }} degraded. Generated {{ r.generated_at | when }}.</p>
<table class="fleet"><thead><tr><th>tenant</th><th>live version</th><th>rows</th>
<th>drift share</th><th>drift</th><th>live WMAPE</th><th>holdout WMAPE</th><th>change</th>
<th>performance</th><th>open alerts</th></tr></thead><tbody>
{% for l in r.lines %}<tr><td>{% if l.tenant in anchors -%}
<a href="#{{ anchors[l.tenant] }}">{{ l.tenant }}</a>{% else %}{{ l.tenant }}{% endif %}</td>
<td>{{ l.version or "-" }}</td><td class="n">{{ l.drift_rows }}</td>
<td class="n" data-v="{{ l.drift_share | num }}">{{ l.drift_share | pct }}</td>
{% if l.drifted %}<td class="bad">drifted: {{ l.drifted_columns | join(", ") }}</td>
{% elif l.not_monitored %}<td class="muted" title="{{ l.not_monitored }}">not monitored</td>
{% elif l.drift_share is none %}<td class="muted">no logged rows</td>
{% else %}<td>ok</td>{% endif %}
<td class="n" data-v="{{ l.live_wmape | num }}">{{ l.live_wmape | fixed }}</td>
<td class="n" data-v="{{ l.holdout_wmape | num }}">{{ l.holdout_wmape | fixed }}</td>
<td class="n" data-v="{{ l.change | num }}">{{ l.change | signed }}</td>
{% if l.degraded %}<td class="bad">degraded</td>{% elif l.change is none %}<td>-</td>
{% else %}<td>ok</td>{% endif %}
<td class="n{{ ' bad' if l.open_alerts }}">{{ l.open_alerts }}</td></tr>
{% endfor %}</tbody></table>
{% if r.left_over %}<p class="muted">{{ r.left_over }} more tenant(s) have charts to show:
raise --max-tenants to include them.</p>{% endif %}
{% for s in r.sections %}<section id="{{ s.anchor }}"><h2>{{ s.tenant }}</h2>
{% for a in s.alerts %}<p class="bad">open alert: {{ a }}</p>{% endfor %}
<div class="charts">{% for c in s.charts %}<figure>{{ c.svg | safe }}
<figcaption>{{ c.caption }}</figcaption></figure>{% endfor %}</div>
{% if s.more_columns %}<p class="muted">{{ s.more_columns }} more drifted column(s) not
charted.</p>{% endif %}</section>
{% endfor %}<script>{{ script | safe }}</script>
</body></html>
"""


def _number(value: float | None, spec: str, none: str = "-") -> str:
    return none if value is None or not math.isfinite(value) else format(value, spec)


def _environment() -> jinja2.Environment:
    import jinja2  # here, like matplotlib: every client imports this module, few make pages

    # Autoescaping on for every value: only the charts (made here, from numbers and escaped
    # labels) and the fixed script are marked safe.
    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    env.filters.update(
        when=lambda t: t.strftime("%Y-%m-%d %H:%M UTC"),
        span=lambda s: f"{s[0]:%Y-%m-%d %H:%M} to {s[1]:%Y-%m-%d %H:%M} UTC",
        num=lambda v: _number(v, ".6g", ""),
        pct=lambda v: _number(v, ".0%"),
        fixed=lambda v: _number(v, ".3f"),
        signed=lambda v: _number(v, "+.1%"),
    )
    return env


def render_html(report: FleetReport) -> str:
    """The report as one HTML page that needs nothing else: styles, charts and script inline."""
    digest = hashlib.sha256(SORT_SCRIPT.encode()).digest()
    return (
        _environment()
        .from_string(_PAGE)
        .render(
            r=report,
            anchors={s.tenant: s.anchor for s in report.sections},
            style=_STYLE,
            script=SORT_SCRIPT,
            script_hash="sha256-" + base64.b64encode(digest).decode(),
        )
    )


@dataclass(frozen=True, eq=False)
class RenderedReport:
    """A report made into its page, and where it was written (None: not written)."""

    report: FleetReport
    html: str
    path: Path | None
    bytes: int  # of the page in UTF-8


def check_out(out: Path) -> None:
    """UsageError unless ``out`` can be a new or replaced file: checked before any work."""
    if "\0" in str(out):  # is_dir() answers False to it, open() a ValueError
        raise UsageError(f"--out {str(out)!r} cannot be a file name: it holds a NUL byte")
    try:
        folder, parent = out.is_dir(), out.parent.is_dir()
    except OSError as exc:  # a name too long for the filesystem
        raise UsageError(f"--out {str(out)!r} cannot be a file name: {exc.strerror}") from exc
    if folder:
        raise UsageError(f"--out {out} is a folder: give a file name, e.g. {out / 'report.html'}")
    if not parent:
        raise UsageError(f"--out {out}: the folder {out.parent} does not exist; create it first")


def write_html(text: str, out: Path) -> int:
    """Write ``text`` to ``out`` atomically (a temp file in the same folder, then a rename: a
    failure leaves no half page); its size in bytes. UsageError naming the path otherwise."""
    check_out(out)
    data = text.encode()
    # The same folder keeps the rename atomic; a short name fits whatever ``out`` is called.
    partial = out.with_name(f".{out.name[:32]}.{uuid.uuid4().hex}.partial")
    try:
        with partial.open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        partial.replace(out)
    except OSError as exc:
        with contextlib.suppress(OSError):  # the first error is the one to tell
            partial.unlink(missing_ok=True)
        raise UsageError(f"cannot write --out {out}: {exc.strerror or exc}") from exc
    return len(data)
