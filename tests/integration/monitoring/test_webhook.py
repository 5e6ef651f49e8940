"""The webhook sink against a real HTTP server on loopback: delivered, retried, refused, down."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from modelfleet.errors import ModelfleetError
from modelfleet.monitoring.sinks import AlertEvent, WebhookSink


class _Receiver(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.statuses: list[int] = []  # what to answer, in turn (then 200)
        self.bodies: list[dict[str, Any]] = []
        self.delay = 0.0


class _Handler(BaseHTTPRequestHandler):
    server: _Receiver

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        self.server.bodies.append(json.loads(self.rfile.read(length)))
        if self.server.delay:
            threading.Event().wait(self.server.delay)
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    server = _Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def _event() -> AlertEvent:
    return AlertEvent(
        "opened",
        3,
        "f",
        "prod",
        "t",
        "drift",
        "1.0.0",
        "t drifted",
        {"share": 0.4},
        "2026-12-01T00:00:00+00:00",
    )


def _url(server: _Receiver) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/hooks/secret-token"


def test_an_event_is_posted_as_json(receiver: _Receiver) -> None:
    WebhookSink(_url(receiver), timeout=2, retries=0).send(_event())

    assert receiver.bodies == [{**_event().__dict__}]


def test_a_server_error_is_retried_until_it_answers(receiver: _Receiver) -> None:
    receiver.statuses = [500, 503]

    WebhookSink(_url(receiver), timeout=2, retries=3, pause=0.01).send(_event())

    assert len(receiver.bodies) == 3


def test_a_refusal_is_not_retried_and_names_the_status_not_the_token(receiver: _Receiver) -> None:
    receiver.statuses = [400]

    with pytest.raises(ModelfleetError, match="HTTP 400") as refused:
        WebhookSink(_url(receiver), timeout=2, retries=3, pause=0.01).send(_event())

    assert len(receiver.bodies) == 1
    assert "secret-token" not in str(refused.value)


def test_a_slow_receiver_times_out_and_is_tried_again(receiver: _Receiver) -> None:
    receiver.delay = 0.5

    with pytest.raises(ModelfleetError, match="Timeout"):
        WebhookSink(_url(receiver), timeout=0.1, retries=1, pause=0.01).send(_event())

    assert len(receiver.bodies) == 2


def test_a_receiver_that_is_down_fails_after_the_retries() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(ModelfleetError, match="ConnectError"):
        WebhookSink(f"http://127.0.0.1:{port}/x", timeout=1, retries=2, pause=0.01).send(_event())
