"""The one tenant-id rule, checked the same way at ingest, in the spec, registry, stores and server.

A tenant id is a model name's second half (``fleet/tenant``), a URL path segment, part of an
online-store key and a row in every store, so it has to be safe in all of them at once:

- ASCII letters, digits, ``.``, ``_`` and ``-`` (no spaces, no separators such as ``/`` or ``:``);
- 1 to :data:`MAX_LENGTH` characters;
- not ``.`` or ``..``, which URLs and paths read as steps.

ASCII only is also the Unicode rule: an ASCII string is already in every normal form, so one
name can never be two tenants (``é`` composed and decomposed, a Cyrillic letter that looks Latin).
A non-ASCII id is refused with that reason rather than normalised behind the user's back.

Engines without look-ahead (DuckDB's RE2, pydantic-core's Rust regex) use :data:`CHARS_PATTERN`
plus an explicit ``.``/``..`` test (:func:`sql_is_tenant_id`); Python and JSON Schema use
:data:`PATTERN`, which says all of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from modelfleet.errors import UsageError
from modelfleet.quoting import excerpt

MAX_LENGTH: Final = 200
_CHARS: Final = "A-Za-z0-9._-"
CHARS_PATTERN: Final = f"[{_CHARS}]{{1,{MAX_LENGTH}}}"
PATTERN: Final = rf"^(?!\.{{1,2}}$){CHARS_PATTERN}$"
TENANT_ID: Final = re.compile(PATTERN)
RULE: Final = (
    f"ASCII letters, digits, '.', '_' or '-', 1 to {MAX_LENGTH} characters, not '.' or '..'"
)
_BAD_CHAR: Final = re.compile(f"[^{_CHARS}]")
_PATH_STEPS: Final = (".", "..")


def is_tenant_id(value: object) -> bool:
    """Whether ``value`` is a valid tenant id."""
    return isinstance(value, str) and TENANT_ID.fullmatch(value) is not None


def tenant_id_problem(value: object) -> str | None:
    """What is wrong with ``value`` as a tenant id, in a few words; None when it is valid."""
    if not isinstance(value, str):
        return f"is a {type(value).__name__}, not text"
    if not value:
        return "is empty"
    if value in _PATH_STEPS:
        return f"is {value!r}, which URLs and paths read as a step, not a name"
    if len(value) > MAX_LENGTH:
        return f"is {len(value)} characters long (at most {MAX_LENGTH})"
    bad = _BAD_CHAR.search(value)
    if bad is not None:
        char = bad.group()
        if not char.isascii():
            return (
                f"contains the non-ASCII character {char!r} (U+{ord(char):04X}); ids are ASCII "
                "so that one name cannot be spelled two ways"
            )
        return f"contains {char!r}"
    return None


def tenant_id_error(value: object, where: str = "") -> str:
    """A whole message for an invalid id: what it is, what is wrong, and the rule."""
    problem = tenant_id_problem(value) or "is not valid"
    shown = excerpt(value) if isinstance(value, str) else repr(type(value).__name__)
    prefix = f"{where}: " if where else ""
    return f"{prefix}tenant id {shown} {problem}; a tenant id is {RULE}"


def sql_is_tenant_id(expression: str) -> str:
    """A DuckDB boolean expression: whether the text ``expression`` is a valid tenant id."""
    return (
        f"(regexp_full_match({expression}, '{CHARS_PATTERN}') AND {expression} NOT IN ('.', '..'))"
    )


def require_tenant_ids(values: Iterable[object], where: str) -> None:
    """Raise UsageError for the first invalid id: the last guard before a store writes it."""
    for value in values:
        if not is_tenant_id(value):
            raise UsageError(tenant_id_error(value, where))
