"""Model cards: the content of each section, both formats, and escaping of user text."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from tests.unit.api.seed import build_run, write_spec

from modelfleet.config.spec import load_spec
from modelfleet.errors import UsageError
from modelfleet.registry.cards import (
    Purpose,
    card_sections,
    render_card,
    render_html,
    render_markdown,
)
from modelfleet.registry.records import ModelEvent, ModelVersion, SemVer, Signature, SignatureField

AT = datetime(2024, 6, 2, 9, 30, tzinfo=UTC)
EVIL = '<script>alert("x")</script> | & "quoted"\nnext line'
PURPOSE = Purpose("Daily demand per store.", "regression", "sales", "D", 28)


def _version(**changes: object) -> ModelVersion:
    version = ModelVersion(
        model="demand/s1",
        fleet="demand",
        tenant="s1",
        version=SemVer(1, 2, 0),
        status="active",
        run_id=build_run("s1", 0.2, 0.3).run_id,
        family="lightgbm",
        signature=Signature(
            (SignatureField("lag_28", "double"), SignatureField("region", "string", True)),
            SignatureField("sales", "float64"),
        ),
        model_digest="ab" * 32,
        model_uri="file:///artifacts/ab/abab",
        meta_digest="cd" * 32,
        holdout_digest="ef" * 32,
        metrics={"wmape": 0.2, "mae": 20.0},
        baseline_metrics={"wmape": 0.25, "mae": 25.0},
        tags={"customer": "acme"},
        data_fingerprint="fp-s1",
        config_hash="cfg-1",
        code_version="abc123",
        aliases=("prod",),
        description="",
        created_at=AT,
        created_by="trainer",
    )
    return replace(version, **changes)  # type: ignore[arg-type]


def _event(**changes: object) -> ModelEvent:
    event = ModelEvent(
        id=1,
        model="demand/s1",
        kind="alias_set",
        alias="prod",
        from_version=SemVer(1, 1, 0),
        to_version=SemVer(1, 2, 0),
        actor="alice",
        reason="weekly release",
        at=AT,
        batch_id=None,
    )
    return replace(event, **changes)  # type: ignore[arg-type]


def test_sections_are_in_the_documented_order() -> None:
    titles = [s.title for s in card_sections(_version(), build_run("s1", 0.2, 0.25), [_event()])]

    assert titles == [
        "Purpose",
        "Data",
        "Features",
        "Metrics vs baseline",
        "Promotion history",
        "Lineage",
    ]


def test_markdown_states_purpose_from_the_spec() -> None:
    text = render_markdown(_version(), purpose=PURPOSE)

    assert text.startswith("# Model card: demand/s1 1.2.0\n")
    assert "Daily demand per store." in text
    assert "| task | regression |" in text
    assert "| forecast | 28 periods ahead (frequency D) |" in text


def test_markdown_without_purpose_says_nothing_was_recorded() -> None:
    assert "No description recorded" in render_markdown(_version())


def test_data_section_shows_the_fingerprint_and_row_counts() -> None:
    text = render_markdown(_version(), build_run("s1", 0.2, 0.25))

    assert "| data fingerprint | fp-s1 |" in text
    assert "| training rows | 300 |" in text


def test_data_section_says_when_the_run_is_gone() -> None:
    assert "no longer in the metadata store" in render_markdown(_version(), None)


def test_features_list_every_input_with_its_type() -> None:
    text = render_markdown(_version())

    assert "| lag_28 | double | no |" in text
    assert "| region | string | yes |" in text
    assert "| output | sales (float64) |" in text


def test_metrics_compare_with_the_baseline_in_the_metrics_direction() -> None:
    text = render_markdown(_version(), build_run("s1", 0.2, 0.25))

    assert "| wmape (gate) | 0.2 | 0.25 | +20.0% better |" in text
    assert "| mae | 20 | 25 | +20.0% better |" in text


def test_a_nan_metric_shows_as_a_dash() -> None:
    text = render_markdown(_version(metrics={"wmape": math.nan}))

    assert "| wmape | - | 0.25 | - |" in text


def test_history_lists_events_newest_first() -> None:
    older = _event(id=1, kind="registered", alias=None, reason="from run x")
    newer = _event(id=2, at=AT.replace(hour=10))

    text = render_markdown(_version(), events=[older, newer])

    assert text.index("weekly release") < text.index("from run x")
    assert (
        "| 2024-06-02 10:30 UTC | alias_set | prod | 1.1.0 → 1.2.0 | alice | weekly release |"
        in text
    )


def test_lineage_names_run_config_code_and_packages() -> None:
    run = build_run("s1", 0.2, 0.25)

    text = render_markdown(_version(), run)

    assert f"| run | {run.run_id} |" in text
    assert "| config hash | cfg-1 |" in text
    assert "| code version | abc123 |" in text
    assert "| package lightgbm | 4.5.0 |" in text


def test_markdown_escapes_html_and_keeps_table_rows_intact() -> None:
    text = render_markdown(_version(tags={"note": EVIL}, description=EVIL))

    assert "<script>" not in text
    assert "&lt;script&gt;" in text
    row = next(line for line in text.splitlines() if line.startswith("| tag note |"))
    cells = re.split(r"(?<!\\)\|", row)[1:-1]  # split on pipes that are not escaped
    assert cells[0].strip() == "tag note"
    assert len(cells) == 2
    assert "next line" in row  # the newline did not end the row


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += attrs


def test_html_escapes_every_user_controlled_text() -> None:
    page = render_html(
        _version(tags={EVIL: EVIL}, description=EVIL, created_by=EVIL),
        build_run("s1", 0.2, 0.25, reason=EVIL),
        [_event(actor=EVIL, reason=EVIL)],
        purpose=replace(PURPOSE, description=EVIL),
    )
    parser = _Collector()
    parser.feed(page)

    assert "script" not in parser.tags
    assert parser.attrs == [("lang", "en"), ("charset", "utf-8")]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_html_is_a_complete_page_with_the_same_sections() -> None:
    page = render_html(_version())

    assert page.startswith("<!DOCTYPE html>")
    assert re.findall(r"<h2>(.*?)</h2>", page) == [s.title for s in card_sections(_version())]


def test_render_card_refuses_an_unknown_format() -> None:
    with pytest.raises(UsageError, match="markdown or html"):
        render_card(_version(), fmt="pdf")


def test_purpose_from_a_spec(tmp_path: Path) -> None:
    spec = load_spec(write_spec(tmp_path))

    assert Purpose.from_spec(spec) == Purpose(
        "Daily demand per store.", "regression", "sales", None, 28
    )
