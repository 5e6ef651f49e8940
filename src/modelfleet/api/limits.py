"""A request body size limit, so one huge upload cannot tie up a worker or its memory."""

from __future__ import annotations

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 1 << 20  # 1 MiB: control-plane bodies are a few hundred bytes


class BodyLimit:
    """ASGI middleware: answer 413 when a request body is longer than ``max_bytes``.

    A declared ``Content-Length`` over the limit is refused before any byte is read; a body sent
    in chunks is counted as it arrives and refused as soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await _too_large(self.max_bytes, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, _message(self.max_bytes))
            return message

        await self.app(scope, counted, send)


def _message(max_bytes: int) -> str:
    return f"the request body is larger than {max_bytes} bytes"


async def _too_large(max_bytes: int, send: Send) -> None:
    from modelfleet.api.handlers import error_response

    response = error_response(413, "request too large", _message(max_bytes))
    await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})
