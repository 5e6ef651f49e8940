"""Request limits, checked before routing, so a hostile request costs little to refuse.

* the URL (path and query string) is at most 8 KiB and has at most 256 query parameters: 414;
* a body is at most 1 MiB (a declared ``Content-Length`` is refused before any byte is read, a
  chunked body as soon as it passes the limit): 413;
* a JSON body nests at most 32 levels: 413, before any JSON is parsed.

Control-plane requests are small (a body is an object of a few fields, three levels deep at
most), so these limits leave a wide margin. Each refusal is a JSON :class:`ErrorOut` like every
other error, and the statuses are declared in the OpenAPI document (:mod:`.responses`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelfleet.api.handlers import TOO_LARGE, error_response

DEFAULT_MAX_BODY_BYTES: Final = 1 << 20  # 1 MiB: control-plane bodies are a few hundred bytes
DEFAULT_MAX_URL_BYTES: Final = 8 << 10  # 8 KiB, the common limit of proxies and servers
DEFAULT_MAX_QUERY_PARAMS: Final = 256
DEFAULT_MAX_JSON_DEPTH: Final = 32
URI_TOO_LONG: Final = "URI too long"

_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPEN = np.frombuffer(b"[{", dtype=np.uint8)
_CLOSE = np.frombuffer(b"]}", dtype=np.uint8)


@dataclass(frozen=True)
class Limits:
    """What one request may cost; the defaults suit the control plane."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_url_bytes: int = DEFAULT_MAX_URL_BYTES
    max_query_params: int = DEFAULT_MAX_QUERY_PARAMS
    # None: no scan, for apps whose routes parse bodies with a depth-bounded parser (orjson)
    max_json_depth: int | None = DEFAULT_MAX_JSON_DEPTH


def json_depth(body: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets in strings do not count).

    Vectorised, so a 1 MiB body is measured in milliseconds without parsing it: a quote is a
    string delimiter unless an odd run of backslashes precedes it, and a bracket counts when
    an even number of delimiters precede it. Works on malformed text too (it only bounds it).
    """
    data = np.frombuffer(body, dtype=np.uint8)
    if data.size == 0:
        return 0
    # int32 positions: a body is bounded far below 2 GiB, and memory stays 4 bytes a byte.
    positions = np.arange(data.size, dtype=np.int32)
    if body.find(b"\\") < 0:
        delimiter = data == _QUOTE
    else:
        # For each position, where the run of backslashes just before it starts.
        last_other = np.maximum.accumulate(np.where(data == _BACKSLASH, -1, positions))
        run_before = np.zeros(data.size, dtype=np.int32)
        run_before[1:] = positions[:-1] - last_other[:-1]
        delimiter = (data == _QUOTE) & (run_before % 2 == 0)
    outside = (np.cumsum(delimiter, dtype=np.int32) & 1) == 0
    steps = np.isin(data, _OPEN).view(np.int8) - np.isin(data, _CLOSE).view(np.int8)
    steps[~outside] = 0
    return int(max(np.cumsum(steps, dtype=np.int32).max(), 0))


def nesting(body: bytes, cheap_below: int = DEFAULT_MAX_JSON_DEPTH) -> int:
    """:func:`json_depth`, or a bound under ``cheap_below`` when counting brackets suffices.

    A text with fewer than ``cheap_below`` opening brackets cannot nest deeper; that count is
    all most bodies need, so the vectorised scan runs only on bracket-heavy bodies.
    """
    opened = body.count(b"[") + body.count(b"{")
    return opened if opened < cheap_below else json_depth(body)


def _is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return True  # no content type: FastAPI reads such a body as JSON


class RequestLimits:
    """ASGI middleware enforcing :class:`Limits` on every HTTP request (see the module doc)."""

    def __init__(self, app: ASGIApp, limits: Limits | None = None) -> None:
        self.app = app
        self.limits = limits or Limits()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refuse_url(scope) or self._refuse_declared_length(scope)
        if refusal is not None:
            await _answer(send, *refusal)
            return
        body, more = await self._read_body(receive)
        if more:
            await _answer(send, 413, TOO_LARGE, _body_message(self.limits.max_body_bytes))
            return
        most = self.limits.max_json_depth
        json_body = most is not None and _is_json(scope.get("headers", []))
        depth = nesting(body, most + 1) if most is not None and json_body else 0
        if most is not None and depth > most:
            message = f"the JSON body nests {depth} levels deep; at most {most} are accepted"
            await _answer(send, 413, TOO_LARGE, message)
            return
        await self.app(scope, _replay(body, receive), send)

    def _refuse_url(self, scope: Scope) -> tuple[int, str, str] | None:
        query: bytes = scope.get("query_string", b"")
        path: bytes = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "replace")
        if len(path) + len(query) > self.limits.max_url_bytes:
            return (
                414,
                URI_TOO_LONG,
                f"the URL is {len(path) + len(query)} bytes long; at most "
                f"{self.limits.max_url_bytes} are accepted (send fewer or shorter filters)",
            )
        params = query.count(b"&") + 1 if query else 0
        if params > self.limits.max_query_params:
            return (
                414,
                URI_TOO_LONG,
                f"the query string has {params} parameters; at most "
                f"{self.limits.max_query_params} are accepted",
            )
        return None

    def _refuse_declared_length(self, scope: Scope) -> tuple[int, str, str] | None:
        for name, value in scope.get("headers", ()):
            declared = name == b"content-length" and value.isdigit()
            if declared and int(value) > self.limits.max_body_bytes:
                return 413, TOO_LARGE, _body_message(self.limits.max_body_bytes)
        return None

    async def _read_body(self, receive: Receive) -> tuple[bytes, bool]:
        """The whole body, or what arrived before it passed the limit and ``True``."""
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return b"".join(chunks), False
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limits.max_body_bytes:
                return b"", True
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), False


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then the client's messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _body_message(max_bytes: int) -> str:
    return f"the request body is larger than {max_bytes} bytes"


async def _answer(send: Send, status: int, error: str, detail: str) -> None:
    response = error_response(status, error, detail)
    await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})
