"""Read a SQL query through SQLAlchemy into an Arrow table; errors never show the password."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import numpy as np
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from modelfleet.errors import SourceError
from modelfleet.quoting import REDACTED, excerpt, redact_text, redact_url

_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<rest>.*)$", re.DOTALL)
_FETCH_ROWS = 100_000


def mask_url(url: str) -> str:
    """The URL with its password and secret query parameters replaced by ``***``, safe to print.

    Kept under this name for its callers; :func:`modelfleet.quoting.redact_url` does the work.
    """
    return redact_url(url)


def _password(url: str) -> str | None:
    """The password of ``url`` (cut at the last '@', like redact_url), to scrub it from text."""
    match = _SCHEME.match(url)
    if not match:
        return None
    rest = match.group("rest").split("?", 1)[0]
    at = rest.rfind("@")
    if at < 0 or ":" not in rest[:at]:
        return None
    return rest[:at].split(":", 1)[1]


def _scrub(text: str, url: str) -> str:
    """A driver message without the password, short and escaped, in case it echoed the URL."""
    text = redact_text(text.replace(url, redact_url(url)))
    secret = _password(url)
    if secret is not None:
        for form in {secret, unquote(secret)}:
            # Very short secrets would turn every matching letter into *** and the message
            # into noise; drivers do not echo passwords, this is a second line of defence.
            if len(form) >= 3:
                text = text.replace(form, REDACTED)
    return excerpt(" ".join(text.split()), 300, quoted=False)


def read_sql(url: str, query: str, label: str) -> pa.Table:
    """Run ``query`` against the database at ``url`` and return the result as Arrow."""
    masked = excerpt(redact_url(url), 200, quoted=False)
    try:
        engine = sa.create_engine(url, poolclass=NullPool)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise SourceError(
            f"{label}: cannot use the database URL {masked} ({_scrub(str(exc), url)}). Use a "
            "SQLAlchemy URL such as postgresql://user@host/db or sqlite:///path/to/file.db"
        ) from None
    try:
        with engine.connect() as conn:
            # exec_driver_sql: the query goes to the database as written (":" and "%" intact).
            result = conn.exec_driver_sql(query)
            if not result.returns_rows:
                raise SourceError(f"{label}: the query returned no result set; use a SELECT")
            names = [str(name) for name in result.keys()]  # noqa: SIM118 (a Result, not a dict)
            batches = [_columns(names, list(rows)) for rows in result.partitions(_FETCH_ROWS)]
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise SourceError(
            f"{label}: the query failed: {_scrub(' '.join(detail[:2]), url)}. Check the query "
            f"and that the database at {masked} is reachable"
        ) from None
    finally:
        engine.dispose()
    if not batches:
        return pa.table({name: pa.nulls(0) for name in names})
    try:
        return pa.concat_tables(batches, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Batches disagree on a column's type: fall back to text for all, TRY_CAST sorts it out.
        return pa.concat_tables([_as_text(batch) for batch in batches])


def _as_text(table: pa.Table) -> pa.Table:
    return pa.table({name: table[name].cast(pa.string()) for name in table.column_names})


def _columns(names: list[str], rows: list[Any]) -> pa.Table:
    # DB-API hands over rows; zip transposes them in C and Arrow converts each column at once.
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table({name: _array(values) for name, values in zip(names, columns, strict=True)})


def _array(values: tuple[Any, ...]) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Mixed types in one column (SQLite allows them): keep the text and let the mapping
        # step's TRY_CAST flag the cells that do not fit the canonical type.
        objects = np.array(values, dtype=object)
        missing = np.equal(objects, np.full(len(objects), None, dtype=object))
        return pa.array(objects.astype(str), mask=missing)
