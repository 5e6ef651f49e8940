"""Quoting input in messages safely: short excerpts, escaped control characters, no credentials.

Every error or finding that shows a user what was wrong quotes some of the input: a cell, a line,
a column name, a URL. Input can be hostile or just huge (a 10 MB line, a binary file read as CSV,
ANSI escapes that repaint a terminal, a connection string with its password). The helpers here
are the one way messages quote it:

* :func:`excerpt` -- at most ``limit`` characters, control characters escaped, truncation marked
  with an ellipsis and the full length: ``'root:x:0:0:root:/root:/bin/bash\\nbin…' (1,234 chars)``.
* :func:`redact_url` / :func:`redact_text` -- passwords, tokens and signatures out of URLs.
* :func:`listing` -- the first few offenders and "… and 15,222 more", never all of them.

This module sits below every layer and imports nothing from modelfleet, so any module (errors.py
included) may use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final
from urllib.parse import parse_qsl, quote

EXCERPT_LIMIT: Final = 60
LIST_LIMIT: Final = 5
REDACTED: Final = "***"
ELLIPSIS: Final = "…"

_ESCAPES: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
# Query parameters and fragment keys whose value is a secret: exact names, then name fragments.
_SECRET_NAMES: Final = frozenset({"sig", "auth", "pwd", "pass", "code", "sas", "jwt"})
_SECRET_PARTS: Final = (
    "password",
    "passwd",
    "token",
    "secret",
    "signature",
    "credential",
    "apikey",
    "api_key",
    "api-key",
    "access_key",
    "accesskey",
    "private",
    "session",
)
_SCHEME: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# A URL inside free text (a driver's message): scheme://, then anything up to whitespace or a
# closing quote/bracket. Used only to find candidates; redact_url decides what is secret.
_URL_IN_TEXT: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>)\]]+")


def _escape_char(char: str, quote_char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if char == quote_char:
        return "\\" + char
    if char.isprintable():
        return char
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:
        # An undecodable byte (surrogateescape): show the byte itself.
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape(text: str, *, quote_char: str = "") -> str:
    """``text`` with control and other non-printable characters written as escapes.

    Newlines, tabs, NUL, ESC (ANSI colour codes) and the like become ``\\n``, ``\\x00``,
    ``\\x1b``, ... so a quoted value can never break a message's line or repaint a terminal.
    """
    return "".join(_escape_char(c, quote_char) for c in text)


def excerpt(value: object, limit: int = EXCERPT_LIMIT, *, quoted: bool = True) -> str:
    """A short, printable rendering of ``value`` for a message, never more than ``limit`` chars.

    Control characters are escaped; a longer value is cut and marked with an ellipsis and its
    full length (``'abc…' (1,234 chars)``), so a 10 MB line costs a message 60 characters.
    ``quoted=False`` leaves out the surrounding quotes (for text that is not a value, such as
    a library's error message).
    """
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        # Decode only what can be shown; a huge binary value is never decoded in full.
        text = raw[: limit * 4].decode("utf-8", "surrogateescape")
        total = len(raw)
        unit = "bytes"
    else:
        full = value if isinstance(value, str) else str(value)
        text, total, unit = full[: limit * 4], len(full), "chars"
    quote_char = "'" if quoted else ""
    pieces: list[str] = []
    used = 0
    cut = False
    for char in text:
        piece = _escape_char(char, quote_char)
        if used + len(piece) > limit:
            cut = True
            break
        pieces.append(piece)
        used += len(piece)
    shown = "".join(pieces)
    cut = cut or len(text) < total
    if quoted:
        shown = f"'{shown}{ELLIPSIS}'" if cut else f"'{shown}'"
    elif cut:
        shown += ELLIPSIS
    return f"{shown} ({total:,} {unit})" if cut else shown


def _secret_key(name: str) -> bool:
    lowered = name.strip().lower()
    if lowered in _SECRET_NAMES or lowered.startswith("x-amz-"):
        return True
    return lowered.endswith("key") or any(part in lowered for part in _SECRET_PARTS)


def _redact_pairs(text: str) -> str:
    """``a=1&password=x`` with the secret values replaced; keeps order and other values as given."""
    if "=" not in text:
        return text
    parts = []
    for name, value in parse_qsl(text, keep_blank_values=True):
        shown = REDACTED if _secret_key(name) and value else quote(value, safe="/:,.-_@")
        parts.append(f"{quote(name, safe='-_.')}={shown}")
    return "&".join(parts) if parts else text


def redact_url(url: str) -> str:
    """``url`` with its password and secret query parameters replaced by ``***``, safe to print.

    ``postgresql://app:s3cret@db/prod`` becomes ``postgresql://app:***@db/prod``;
    ``https://bucket/k?X-Amz-Signature=abc&v=1`` becomes ``...?X-Amz-Signature=***&v=1``.
    The userinfo is cut at the *last* ``@`` before the query, by hand: an unescaped ``@`` or
    ``/`` in a password makes URL parsers cut the password short and print the rest as the host.
    """
    match = _SCHEME.match(url)
    if match is None:
        return url
    scheme, rest = match.group(0), url[match.end() :]
    fragment = ""
    if "#" in rest:
        rest, fragment = rest.split("#", 1)
        fragment = "#" + _redact_pairs(fragment)
    query = ""
    if "?" in rest:
        rest, query = rest.split("?", 1)
        query = "?" + _redact_pairs(query)
    at = rest.rfind("@")
    if at >= 0:
        userinfo, after = rest[:at], rest[at:]
        if ":" in userinfo:
            user = userinfo.split(":", 1)[0]
            rest = f"{user}:{REDACTED}{after}"
        elif "/" not in userinfo:
            # A lone token as the user part (https://ghp_xxx@github.com/...): a secret too.
            rest = f"{REDACTED}{after}" if _looks_like_token(userinfo) else rest
    return scheme + rest + query + fragment


def _looks_like_token(user: str) -> bool:
    # Real user names are short; tokens in the user slot are long random strings.
    return len(user) >= 20


def redact_text(text: str) -> str:
    """``text`` with every URL in it redacted (a driver's message may echo its connection URL)."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), text)


def listing(
    shown: Iterable[object],
    total: int | None = None,
    *,
    limit: int = LIST_LIMIT,
    sep: str = "; ",
    each: int = EXCERPT_LIMIT,
    quoted: bool = False,
) -> str:
    """The first ``limit`` items joined by ``sep``, each excerpted, and "… and N more".

    ``total`` is how many offenders there are in all when ``shown`` holds only the first few
    (a query's examples); by default it is the number of items given. A message lists five
    duplicated rows, not 15,227.
    """
    items: Sequence[object] = list(shown)
    count = len(items) if total is None else max(total, len(items))
    head = sep.join(excerpt(item, each, quoted=quoted) for item in items[:limit])
    more = count - min(limit, len(items))
    return f"{head} {ELLIPSIS} and {more:,} more" if more > 0 else head


MESSAGE_LIMIT: Final = 4_000
_UNSAFE: Final = re.compile(r"[^\n\S ]|[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def safe_message(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """A last line of defence for a whole message: URLs redacted, control characters escaped.

    Messages are built from excerpts already; this catches what a library's own text carries
    (a driver echoing its connection URL, a parser quoting a raw line). Newlines stay (messages
    may have several lines); a message longer than ``limit`` is cut and says so.
    """
    text = redact_text(text)
    if _UNSAFE.search(text):
        text = _UNSAFE.sub(lambda m: _escape_char(m.group(0), ""), text)
    if len(text) > limit:
        text = f"{text[:limit]}{ELLIPSIS} (message cut at {limit:,} of {len(text):,} chars)"
    return text


def name_list(items: Iterable[object], *, limit: int = 10) -> str:
    """Names as a bracketed, quoted list, at most ``limit`` of them: ``['a', 'b' … and 3 more]``."""
    return f"[{listing(items, limit=limit, sep=', ', quoted=True)}]"
