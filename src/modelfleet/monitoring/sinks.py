"""Where alert openings and resolutions go: the log, a JSON-lines file, a webhook.

Sinks sit behind one small protocol and are built from the spec's ``monitoring.alerts.sinks``.
The store holds every alert whatever a sink does; a sink that fails (a webhook down after its
retries) is reported by the check, never lost silently and never blocking the other sinks.
The webhook POSTs each event as JSON with a timeout, retrying connection errors and 5xx answers
with a growing pause; a 4xx is not retried (the receiver refused the event). Its URL often holds
a token, so messages show it redacted.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from modelfleet.config.monitoring_blocks import AlertSinkSpec
from modelfleet.errors import ModelfleetError

log = logging.getLogger("modelfleet.alerts")


@dataclass(frozen=True)
class AlertEvent:
    """One alert opening or resolution, as every sink receives it."""

    event: str  # opened | resolved
    alert_id: int
    fleet: str
    environment: str
    tenant: str
    kind: str
    version: str | None
    message: str
    figures: dict[str, Any]
    at: str  # ISO time

    def to_json(self) -> str:
        """The event as one line of JSON."""
        return json.dumps(asdict(self), default=str, sort_keys=True)


class AlertSink(Protocol):
    """Something that takes alert events."""

    name: str

    def send(self, event: AlertEvent) -> None:
        """Deliver one event, or raise ModelfleetError saying why not."""
        ...


class LogSink:
    """Alert events as warnings of the ``modelfleet.alerts`` logger (JSON)."""

    name = "log"

    def send(self, event: AlertEvent) -> None:
        """Log the event."""
        log.warning(event.to_json())


class FileSink:
    """Alert events appended to a JSON-lines file (one event a line)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"file {path}"

    def send(self, event: AlertEvent) -> None:
        """Append the event and flush it."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(event.to_json() + "\n")
        except OSError as exc:
            raise ModelfleetError(f"alert file {self.path}: {exc.strerror or exc}") from exc


class WebhookSink:
    """Alert events POSTed as JSON, with a timeout and retries."""

    def __init__(self, url: str, timeout: float, retries: int, pause: float = 0.5) -> None:
        self.url, self.timeout, self.retries, self.pause = url, timeout, retries, pause
        self.name = f"webhook {_origin(url)}"

    def send(self, event: AlertEvent) -> None:
        """POST the event; ModelfleetError after the last try."""
        body = asdict(event)
        problem = ""
        for attempt in range(self.retries + 1):
            try:
                answer = httpx.post(self.url, json=body, timeout=self.timeout)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}"
            else:
                if answer.status_code < 300:
                    return
                problem = f"HTTP {answer.status_code}"
                if answer.status_code < 500:
                    break  # the receiver refused it: asking again will not help
            if attempt < self.retries:
                time.sleep(self.pause * 2**attempt)
        raise ModelfleetError(f"{self.name} did not take alert {event.alert_id}: {problem}")


def _origin(url: str) -> str:
    """Scheme, host and port only: webhook paths and queries often carry the token."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # not a number: leave it out
        port = ""
    return f"{parts.scheme}://{host}{port}/..."


def open_sinks(specs: Sequence[AlertSinkSpec], base_dir: Path) -> list[AlertSink]:
    """The sinks of a spec (a relative file path is the spec folder's)."""
    sinks: list[AlertSink] = []
    for spec in specs:
        if spec.kind == "log":
            sinks.append(LogSink())
        elif spec.kind == "file":
            assert spec.path is not None  # the spec's validator
            path = Path(spec.path)
            sinks.append(FileSink(path if path.is_absolute() else base_dir / path))
        else:
            assert spec.url is not None
            sinks.append(WebhookSink(spec.url, spec.timeout_seconds, spec.retries))
    return sinks


def dispatch(sinks: Sequence[AlertSink], events: Sequence[AlertEvent]) -> list[str]:
    """Every event to every sink; what failed, as messages (the others still get theirs)."""
    failures = []
    for sink in sinks:
        for event in events:
            try:
                sink.send(event)
            except ModelfleetError as exc:
                failures.append(str(exc))
                break  # one failure per sink: the next events would fail the same way
    return failures
