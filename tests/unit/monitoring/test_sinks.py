"""Alert sinks: a JSON-lines file gets one line per event; a failing sink stops no other."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelfleet.errors import ModelfleetError
from modelfleet.monitoring.sinks import AlertEvent, FileSink, WebhookSink, dispatch


def _event(alert_id: int = 1, event: str = "opened") -> AlertEvent:
    return AlertEvent(
        event,
        alert_id,
        "f",
        "prod",
        "t",
        "drift",
        "1.0.0",
        "x drifted",
        {"share": 0.5},
        "2026-12-01T00:00:00+00:00",
    )


def test_a_file_sink_appends_one_json_line_per_event(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "alerts.jsonl"
    sink = FileSink(path)

    sink.send(_event(1))
    sink.send(_event(1, "resolved"))

    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(x["alert_id"], x["event"]) for x in lines] == [(1, "opened"), (1, "resolved")]
    assert lines[0]["figures"] == {"share": 0.5}


class _Broken:
    name = "broken"

    def send(self, event: AlertEvent) -> None:
        raise ModelfleetError("broken sink is down")


def test_a_failing_sink_is_reported_and_the_others_still_get_every_event(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"

    failures = dispatch([_Broken(), FileSink(path)], [_event(1), _event(2)])

    assert failures == ["broken sink is down"]
    assert len(path.read_text().splitlines()) == 2


def test_a_webhook_name_shows_only_its_origin_never_its_token() -> None:
    sink = WebhookSink("https://hooks.example.com/services/T0/B0/secret?token=abc", 1.0, 0)

    assert sink.name == "webhook https://hooks.example.com/..."
    assert "secret" not in sink.name and "abc" not in sink.name


def test_a_file_sink_that_cannot_write_says_which_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")

    with pytest.raises(ModelfleetError, match="alert file"):
        FileSink(blocker / "alerts.jsonl").send(_event())
