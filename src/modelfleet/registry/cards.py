"""Model cards: what a version is for, what it learned from, how good it is, where it came from.

Pure functions: a :class:`~modelfleet.registry.records.ModelVersion`, its training run (when the
store still has it), its history and optionally the fleet's purpose go in; markdown or HTML
comes out. Both formats render the same :class:`Section` list, so they never disagree.

Everything a user or a data file controls (names, tags, descriptions, reasons, actors) is
escaped: for HTML every piece of text goes through :func:`html.escape` and the page carries no
script; for markdown, ``<``, ``>`` and ``&`` become entities (many renderers pass raw HTML
through) and table cells cannot break out of their row.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from modelfleet.errors import UsageError
from modelfleet.training.gates import relative_improvement
from modelfleet.training.metrics import METRIC_DIRECTION

if TYPE_CHECKING:
    from modelfleet.config.spec import FleetSpec
    from modelfleet.registry.records import ModelEvent, ModelVersion
    from modelfleet.tracking.records import TenantRunRecord

CardFormat = Literal["markdown", "html"]
CARD_FORMATS: Final[tuple[CardFormat, ...]] = ("markdown", "html")
MAX_EVENTS: Final = 50  # the newest events a card lists; the CLI's history shows them all


@dataclass(frozen=True)
class Purpose:
    """What the fleet is for, from its spec: description, task, target and horizon."""

    description: str
    task: str
    target: str | None = None
    frequency: str | None = None
    horizon: int | None = None

    @classmethod
    def from_spec(cls, spec: FleetSpec) -> Purpose:
        """The purpose a fleet spec declares."""
        return cls(
            description=spec.description,
            task=spec.task,
            target=spec.data_schema.target,
            frequency=spec.data_schema.frequency,
            horizon=spec.validation.horizon,
        )


@dataclass(frozen=True)
class Table:
    """A table with a header row; every cell is plain text."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    """A titled part of the card: paragraphs of plain text, then key/value facts, then tables."""

    title: str
    paragraphs: tuple[str, ...] = ()
    facts: tuple[tuple[str, str], ...] = ()
    tables: tuple[Table, ...] = field(default_factory=tuple)


def _num(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.4g}"


def _or_dash(value: object) -> str:
    return "-" if value is None or value == "" else str(value)


# ------------------------------------------------------------------------------ sections
def _purpose(version: ModelVersion, purpose: Purpose | None) -> Section:
    paragraphs = []
    if purpose is not None and purpose.description:
        paragraphs.append(purpose.description)
    if version.description:
        paragraphs.append(version.description)
    if not paragraphs:
        paragraphs.append("No description recorded for this fleet or version.")
    facts: list[tuple[str, str]] = []
    if purpose is not None:
        facts.append(("task", purpose.task))
        if purpose.target:
            facts.append(("target", purpose.target))
        if purpose.horizon:
            every = f" (frequency {purpose.frequency})" if purpose.frequency else ""
            facts.append(("forecast", f"{purpose.horizon} periods ahead{every}"))
    facts.append(("model family", version.family))
    facts.extend((f"tag {key}", value) for key, value in sorted(version.tags.items()))
    return Section("Purpose", tuple(paragraphs), tuple(facts))


def _data(version: ModelVersion, run: TenantRunRecord | None) -> Section:
    facts: list[tuple[str, str]] = [("data fingerprint", _or_dash(version.data_fingerprint))]
    paragraphs: tuple[str, ...] = ()
    if run is None:
        paragraphs = ("The training run is no longer in the metadata store.",)
    else:
        for key, label in (
            ("data.train_rows", "training rows"),
            ("data.holdout_rows", "holdout rows"),
            ("data.frequency", "frequency"),
            ("validation.horizon", "holdout horizon (periods)"),
        ):
            if key in run.params:
                facts.append((label, _or_dash(run.params[key])))
        warnings = [f for f in run.findings if f.severity == "warning"]
        facts.append(("data findings", f"{len(run.findings)} ({len(warnings)} warnings)"))
    return Section("Data", paragraphs, tuple(facts))


def _features(version: ModelVersion) -> Section:
    signature = version.signature
    rows = tuple(
        (item.name, item.type, "yes" if item.categorical else "no") for item in signature.inputs
    )
    return Section(
        "Features",
        (f"{len(rows)} inputs, in the order the model was trained with.",),
        (
            ("output", f"{signature.output.name} ({signature.output.type})"),
            ("signature digest", signature.digest()),
        ),
        (Table(("input", "type", "categorical"), rows),),
    )


def _metrics(version: ModelVersion, run: TenantRunRecord | None) -> Section:
    gate = str(run.params.get("gates.metric", "")) if run is not None else ""
    rows = []
    for key in sorted(set(version.metrics) | set(version.baseline_metrics)):
        model = version.metrics.get(key)
        base = version.baseline_metrics.get(key)
        change = "-"
        if key in METRIC_DIRECTION and model is not None and base is not None:
            gain = relative_improvement(key, model, base)
            if math.isfinite(gain):
                change = f"{gain:+.1%} {'better' if gain >= 0 else 'worse'}"
        rows.append((f"{key} (gate)" if key == gate else key, _num(model), _num(base), change))
    paragraphs = (
        "Scored on the holdout: the last periods of the tenant's data, unseen in "
        "training. The baseline is a naive forecast fitted on the same split.",
    )
    return Section(
        "Metrics vs baseline",
        paragraphs,
        (),
        (Table(("metric", "model", "baseline", "change"), tuple(rows)),),
    )


def _history(version: ModelVersion, events: Sequence[ModelEvent]) -> Section:
    newest = sorted(events, key=lambda e: (e.at, e.id), reverse=True)[:MAX_EVENTS]
    rows = tuple(
        (
            e.at.strftime("%Y-%m-%d %H:%M UTC"),
            e.kind,
            _or_dash(e.alias),
            f"{_or_dash(e.from_version)} → {_or_dash(e.to_version)}",
            e.actor,
            e.reason,
        )
        for e in newest
    )
    aliases = ", ".join(version.aliases) or "none"
    paragraphs = [f"This version is {version.status}; aliases on it: {aliases}."]
    if len(events) > MAX_EVENTS:
        paragraphs.append(f"The newest {MAX_EVENTS} of {len(events)} events.")
    return Section(
        "Promotion history",
        tuple(paragraphs),
        (),
        (Table(("when", "event", "alias", "versions", "who", "why"), rows),) if rows else (),
    )


def _lineage(version: ModelVersion, run: TenantRunRecord | None) -> Section:
    facts: list[tuple[str, str]] = [
        ("run", _or_dash(version.run_id)),
        ("config hash", _or_dash(version.config_hash)),
        ("code version", _or_dash(version.code_version)),
        ("model artifact", f"{version.model_uri} (sha256 {version.model_digest})"),
        ("model metadata", _or_dash(version.meta_digest)),
        ("holdout rows", _or_dash(version.holdout_digest)),
        ("registered", f"{version.created_at:%Y-%m-%d %H:%M UTC} by {version.created_by}"),
    ]
    if run is not None:
        facts.insert(1, ("fleet run", run.fleet_run_id))
        facts.insert(2, ("trained in", f"{run.environment}, {run.finished_at:%Y-%m-%d %H:%M UTC}"))
        packages = sorted(
            (key.removeprefix("package."), value)
            for key, value in run.lineage.items()
            if key.startswith("package.")
        )
        facts.extend((f"package {name}", value) for name, value in packages)
    return Section("Lineage", (), tuple(facts))


def card_sections(
    version: ModelVersion,
    run: TenantRunRecord | None = None,
    events: Sequence[ModelEvent] = (),
    *,
    purpose: Purpose | None = None,
) -> list[Section]:
    """The card's content, format-free: purpose, data, features, metrics, history, lineage."""
    return [
        _purpose(version, purpose),
        _data(version, run),
        _features(version),
        _metrics(version, run),
        _history(version, events),
        _lineage(version, run),
    ]


def _title(version: ModelVersion) -> str:
    return f"Model card: {version.model} {version.version}"


# ------------------------------------------------------------------------------ markdown
def _md(text: str) -> str:
    """Plain text safe in markdown: HTML-special characters become entities."""
    return html.escape(text, quote=False)


def _md_cell(text: str) -> str:
    return _md(" ".join(text.split())).replace("|", "\\|") or " "


def render_markdown(
    version: ModelVersion,
    run: TenantRunRecord | None = None,
    events: Sequence[ModelEvent] = (),
    *,
    purpose: Purpose | None = None,
) -> str:
    """The card as markdown."""
    lines = [f"# {_md_cell(_title(version))}", ""]
    for section in card_sections(version, run, events, purpose=purpose):
        lines += [f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            lines += [_md(paragraph), ""]
        if section.facts:
            lines += ["| | |", "|---|---|"]
            lines += [f"| {_md_cell(k)} | {_md_cell(v)} |" for k, v in section.facts]
            lines.append("")
        for table in section.tables:
            lines.append("| " + " | ".join(_md_cell(h) for h in table.header) + " |")
            lines.append("|" + "---|" * len(table.header))
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
            lines.append("")
    return "\n".join(lines)


# ------------------------------------------------------------------------------ HTML
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
    "table{border-collapse:collapse;margin:.5rem 0 1rem}"
    "th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#f4f4f4}"
)


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["<table>"]
    if header:
        out.append("<tr>" + "".join(f"<th>{_h(c)}</th>" for c in header) + "</tr>")
    out += ["<tr>" + "".join(f"<td>{_h(c)}</td>" for c in row) + "</tr>" for row in rows]
    out.append("</table>")
    return out


def render_html(
    version: ModelVersion,
    run: TenantRunRecord | None = None,
    events: Sequence[ModelEvent] = (),
    *,
    purpose: Purpose | None = None,
) -> str:
    """The card as a standalone HTML page (no scripts; every text escaped)."""
    title = _h(_title(version))
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{title}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{title}</h1>",
    ]
    for section in card_sections(version, run, events, purpose=purpose):
        out.append(f"<h2>{_h(section.title)}</h2>")
        out += [f"<p>{_h(p)}</p>" for p in section.paragraphs]
        if section.facts:
            out += _html_table((), section.facts)
        for table in section.tables:
            out += _html_table(table.header, table.rows)
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def render_card(
    version: ModelVersion,
    run: TenantRunRecord | None = None,
    events: Sequence[ModelEvent] = (),
    *,
    fmt: str = "markdown",
    purpose: Purpose | None = None,
) -> str:
    """The card in ``fmt`` (markdown or html); UsageError for another format."""
    if fmt == "markdown":
        return render_markdown(version, run, events, purpose=purpose)
    if fmt == "html":
        return render_html(version, run, events, purpose=purpose)
    raise UsageError(f"card format {fmt!r}: use markdown or html")
