"""SQL expressions that convert a raw column of any Arrow type into a canonical column type.

Every conversion is a ``TRY_CAST``-style expression: a cell that does not fit becomes NULL and a
companion predicate flags it, so the mapping step can count and cite bad cells per tenant.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from modelfleet.config.spec import ColumnType, CsvOptions
from modelfleet.data.canonical import DUCK_TYPES
from modelfleet.data.engine import literal

_TRUE = "('true', 't', 'yes', 'y', '1')"
_FALSE = "('false', 'f', 'no', 'n', '0')"


@dataclass(frozen=True)
class Conversion:
    """A typed SQL expression and, when conversion can fail, a predicate true for bad cells."""

    expr: str
    failed: str | None


def describe(kind: ColumnType, options: CsvOptions) -> str:
    """What a value of a canonical type must look like, and how to fix common mistakes."""
    if kind == "int":
        return "a whole number"
    if kind == "float":
        return (
            f"a number (decimal mark {options.decimal!r}, see csv.decimal; thousands separators "
            "such as '1.234,56' are not supported: remove them in the export)"
        )
    if kind == "bool":
        return "a boolean (true/false, yes/no or 1/0)"
    if kind in ("date", "timestamp"):
        if options.date_format:
            return f"a date in the format {options.date_format!r} (csv.date_format)"
        return (
            "an ISO date such as 2024-01-31 (set csv.date_format, e.g. '%d.%m.%Y', for other "
            "layouts)"
        )
    return "text"


def convert(ref: str, arrow_type: pa.DataType, kind: ColumnType, options: CsvOptions) -> Conversion:
    """Convert column ``ref`` (SQL) of ``arrow_type`` to the canonical ``kind``."""
    if pa.types.is_null(arrow_type):
        return Conversion(f"CAST(NULL AS {DUCK_TYPES[kind]})", None)
    if kind == "str":
        return Conversion(_to_text(ref, arrow_type), None)
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return _checked(ref, _from_text(f"trim({ref})", kind, options))
    if pa.types.is_integer(arrow_type) or pa.types.is_boolean(arrow_type):
        number = f"CAST({ref} AS BIGINT)" if pa.types.is_boolean(arrow_type) else ref
        return _from_number(ref, number, kind, options)
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        # NaN is how pandas writes "missing" into float columns: treat it as NULL, not as bad.
        number = f"CAST({ref} AS DOUBLE)"
        clean = f"(CASE WHEN isnan({number}) THEN NULL ELSE {number} END)"
        return _from_number(clean, clean, kind, options)
    temporal = pa.types.is_timestamp(arrow_type) or pa.types.is_date(arrow_type)
    if temporal and kind in ("date", "timestamp"):
        return Conversion(f"CAST({ref} AS {DUCK_TYPES[kind]})", None)
    # Anything else (dates into numbers, binary...) goes through text, so bad cells are cited.
    return _checked(ref, _from_text(f"trim(TRY_CAST({ref} AS VARCHAR))", kind, options))


def _checked(ref: str, expr: str) -> Conversion:
    return Conversion(expr, f"({ref} IS NOT NULL AND ({expr}) IS NULL)")


def _to_text(ref: str, arrow_type: pa.DataType) -> str:
    if pa.types.is_floating(arrow_type):
        # Keys often arrive as floats (pandas + NaN): 12.0 must become "12", like the CSV "12".
        number = f"CAST({ref} AS DOUBLE)"
        return (
            f"(CASE WHEN isnan({number}) THEN NULL WHEN {number} = trunc({number}) "
            f"AND abs({number}) < 1e15 THEN CAST(CAST({number} AS BIGINT) AS VARCHAR) "
            f"ELSE CAST({number} AS VARCHAR) END)"
        )
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return f"nullif(trim({ref}), '')"
    return f"TRY_CAST({ref} AS VARCHAR)"


def _from_number(ref: str, number: str, kind: ColumnType, options: CsvOptions) -> Conversion:
    if kind == "float":
        return Conversion(f"CAST({number} AS DOUBLE)", None)
    if kind == "int":
        # A float cast to BIGINT would round 3.7 to 4 silently; only whole numbers pass.
        value = f"CAST({number} AS DOUBLE)"
        expr = f"(CASE WHEN {value} = trunc({value}) THEN TRY_CAST({value} AS BIGINT) END)"
        return _checked(ref, expr)
    if kind == "bool":
        expr = f"(CASE WHEN {number} = 1 THEN TRUE WHEN {number} = 0 THEN FALSE END)"
        return _checked(ref, expr)
    # Numbers are not dates: let the text path cite them (a date_format like %Y%m%d may fit).
    return _checked(ref, _from_text(f"CAST({number} AS VARCHAR)", kind, options))


def _from_text(text: str, kind: ColumnType, options: CsvOptions) -> str:
    if kind in ("int", "float"):
        number = f"replace({text}, ',', '.')" if options.decimal == "," else text
        as_double = f"TRY_CAST({number} AS DOUBLE)"
        if kind == "float":
            return f"(CASE WHEN isnan({as_double}) THEN NULL ELSE {as_double} END)"
        # DuckDB's TRY_CAST('3.5' AS BIGINT) rounds to 4: digits go straight to BIGINT (exact
        # beyond 2**53), anything else must be a whole number as a double ("3.0" from Excel).
        whole = (
            f"(CASE WHEN {as_double} = trunc({as_double}) THEN TRY_CAST({as_double} AS BIGINT) END)"
        )
        return (
            f"(CASE WHEN regexp_full_match({number}, '[+-]?[0-9]+') "
            f"THEN TRY_CAST({number} AS BIGINT) ELSE {whole} END)"
        )
    if kind == "bool":
        lowered = f"lower({text})"
        return (
            f"(CASE WHEN {lowered} IN {_TRUE} THEN TRUE WHEN {lowered} IN {_FALSE} THEN FALSE END)"
        )
    if kind in ("date", "timestamp"):
        if options.date_format:
            parsed = f"TRY_STRPTIME({text}, {literal(options.date_format)})"
        else:
            parsed = f"TRY_CAST({text} AS TIMESTAMP)"
        return f"CAST({parsed} AS {DUCK_TYPES[kind]})"
    return text
