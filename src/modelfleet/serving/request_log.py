"""One JSON line per request, with its request id, and the id echoed in ``X-Request-ID``.

A pure ASGI middleware (no per-request task or body copy): it takes the caller's
``X-Request-ID`` (or makes one), puts it in the ASGI scope for the routes, adds it to the
response headers, and logs ``{"event": "request", "request_id", "method", "path", "status",
"ms"}`` to the ``modelfleet.serving.requests`` logger once the response has started. Lines are
JSON so log collectors parse them without patterns; request bodies are never logged.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("modelfleet.serving.requests")
REQUEST_ID_KEY: Final = "modelfleet.request_id"
_GOOD_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class JsonLines(logging.Formatter):
    """Log records as one JSON object per line (the message is merged in when it is a dict)."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        if isinstance(record.msg, dict):
            body.update(record.msg)
        else:
            body["message"] = record.getMessage()
        return json.dumps(body, default=str)


def request_id_of(scope: Scope) -> str | None:
    """The id the middleware gave this request (None outside it)."""
    value = scope.get("state", {}).get(REQUEST_ID_KEY)
    return value if isinstance(value, str) else None


class RequestLog:
    """The middleware: request ids in and out, a JSON line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", ())).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _GOOD_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})[REQUEST_ID_KEY] = request_id
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", ()))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            log.info(
                {
                    "event": "request",
                    "request_id": request_id,
                    "method": scope.get("method"),
                    "path": scope.get("path"),
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 3),
                }
            )


def log_config(level: str) -> dict[str, object]:
    """uvicorn's ``log_config``: JSON lines on stderr for modelfleet's and uvicorn's loggers."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    loggers = {
        name: {"handlers": ["json"], "level": level.upper(), "propagate": False}
        for name in ("modelfleet", "uvicorn", "uvicorn.error")
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonLines}},
        "handlers": {"json": handler},
        "loggers": loggers,
    }
