"""Read one source (CSV, Parquet or SQL) into a raw Arrow table, or fail with a SourceError.

CSV cells are read as text on purpose: type conversion happens later in DuckDB with ``TRY_CAST``
so one bad cell becomes a finding with an example instead of a crash for the whole file.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from modelfleet.config.spec import CsvOptions, FleetSpec, SourceSpec
from modelfleet.data.limits import MAX_LINE_BYTES
from modelfleet.data.parquet import read_parquet
from modelfleet.data.sql import read_sql
from modelfleet.errors import SourceError
from modelfleet.quoting import excerpt, name_list, redact_url

_SNIFF_BYTES = 8192
_WIDE_ENCODINGS = ("utf-16", "utf_16", "utf16", "utf-32", "utf_32", "utf32")
_OTHER_DELIMITERS = (",", ";", "\t", "|")
_UTF8 = ("utf-8", "utf8", "utf_8")


@dataclass(frozen=True)
class RawSource:
    """A source as read: the table, how to name it in messages and how to cite its rows."""

    name: str
    label: str  # "source 'sales' (/data/sales.csv)": names the file or masked URL
    where: str  # prefix of a row reference: "data/sales.csv line" (the path as written in the
    #             spec, relative to its folder) or "source 'db' row"
    first_row: int  # the number ``where`` gives the first data row (2 under a CSV header)
    table: pa.Table


def describe_source(spec: FleetSpec, source: SourceSpec) -> str:
    """How messages name a source: its name plus its file path or password-masked URL."""
    if source.url is not None:
        return f"source '{source.name}' ({redact_url(source.url)})"
    return f"source '{source.name}' ({spec.source_path(source)})"


def source_identity(spec: FleetSpec, source: SourceSpec) -> tuple[str, ...]:
    """What makes two sources the same read: location, query and parsing options."""
    location = source.url or str(spec.source_path(source).resolve())
    return (
        source.resolved_format,
        location,
        source.query or "",
        source.csv.model_dump_json(),
    )


def read_source(spec: FleetSpec, source: SourceSpec) -> RawSource:
    """Read a source into a raw Arrow table; any failure is a SourceError naming the source."""
    label = describe_source(spec, source)
    fmt = source.resolved_format
    if fmt == "sql":
        table = read_sql(source.url or "", source.query or "", label)
        where, first = f"source '{source.name}' row", 1
    else:
        path = spec.source_path(source)
        _check_file(path, label, source.name)
        if fmt == "parquet":
            table = read_parquet(path, label)
            where, first = f"{source.path} row", 1
        else:
            table = _read_csv(path, source.csv, label)
            where, first = f"{source.path} line", 2 if source.csv.header else 1
    _check_columns(table, label)
    if table.num_rows == 0:
        what = "has a header but no data rows" if fmt == "csv" else "has no rows"
        raise SourceError(
            f"{label}: {what}. Export the data again or point sources[{source.name}] at the "
            "right file or query"
        )
    return RawSource(source.name, label, where, first, table)


def _check_file(path: Path, label: str, name: str) -> None:
    if not path.exists():
        raise SourceError(
            f"{label}: file not found. Check sources[{name}].path (relative paths are resolved "
            "against the fleet spec's folder)"
        )
    if path.is_dir() and path.suffix.lower() not in (".parquet", ".pq"):
        raise SourceError(f"{label}: is a folder, not a file; point the path at the data file")
    if path.is_file() and path.stat().st_size == 0:
        raise SourceError(f"{label}: the file is empty (0 bytes); export the data again")


def _short(exc: BaseException, limit: int = 160) -> str:
    """A library's error message, short and escaped: pyarrow quotes the offending line in it."""
    text = " ".join(str(exc).split())
    for prefix in ("CSV parse error: ", "CSV conversion error: "):
        text = text.replace(prefix, "")
    return excerpt(text, limit, quoted=False)


@dataclass
class _BadRows:
    """Collects rows whose field count differs from the header (pyarrow's invalid_row_handler)."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    def __call__(self, row: pacsv.InvalidRow) -> str:
        self.count += 1
        if len(self.examples) < 3:
            where = f"line {row.number}" if row.number is not None else "a row"
            self.examples.append(
                f"{where} has {row.actual_columns} fields instead of {row.expected_columns}: "
                f"{excerpt(row.text)}"
            )
        return "skip"


def _sniff(path: Path, options: CsvOptions, label: str) -> None:
    """Reject binary files early: the CSV parser's messages about them are unreadable."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(b"PAR1"):
        raise SourceError(f"{label}: is a Parquet file; set the source's format: parquet")
    wide = options.encoding.lower().startswith(_WIDE_ENCODINGS)
    if b"\x00" in head and not wide:
        raise SourceError(
            f"{label}: looks like a binary file, not delimited text (it contains NUL bytes). "
            "Point the source at the CSV export; if the text is UTF-16, set csv.encoding: utf-16"
        )
    if options.encoding.lower().startswith(_UTF8):
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # The sniffed block may end inside a multi-byte character: that is not an error.
            if exc.start < len(head) - 3 or len(head) < _SNIFF_BYTES:
                raise SourceError(
                    f"{label}: is not valid {options.encoding} text (byte {exc.start:,} is "
                    f"{head[exc.start : exc.start + 1]!r}). Set csv.encoding to the file's "
                    "encoding (e.g. latin-1, cp1252), or point the source at the CSV export"
                ) from None


def _repeated(names: Sequence[str]) -> str:
    """The column names that appear more than once, as a short listing (a header may be huge)."""
    counts = Counter(names)
    duplicated = sorted(n for n, c in counts.items() if c > 1)
    return name_list(duplicated) if duplicated else ""


def _read_csv(path: Path, options: CsvOptions, label: str) -> pa.Table:
    _sniff(path, options, label)
    # One block bounds one line (pyarrow cannot split a row across blocks): MAX_LINE_BYTES.
    read = pacsv.ReadOptions(
        encoding=options.encoding,
        autogenerate_column_names=not options.header,
        block_size=MAX_LINE_BYTES,
    )
    bad = _BadRows()
    parse = pacsv.ParseOptions(
        delimiter=options.delimiter, quote_char=options.quote, invalid_row_handler=bad
    )
    try:
        # The first block gives the column names; every column is then read as text.
        with pacsv.open_csv(path, read_options=read, parse_options=parse) as reader:
            names = reader.schema.names
        duplicated = _repeated(names)
        if duplicated:
            raise SourceError(
                f"{label}: the header repeats column name(s) {duplicated}; give every column "
                "a unique name"
            )
        convert = pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            null_values=list(options.null_values),
            strings_can_be_null=True,
        )
        bad.count, bad.examples = 0, []
        table = pacsv.read_csv(
            path, read_options=read, parse_options=parse, convert_options=convert
        )
    except (pa.ArrowInvalid, UnicodeError) as exc:
        raise SourceError(_csv_error(exc, options, label)) from exc
    except OSError as exc:
        raise SourceError(f"{label}: cannot be read ({_short(exc)})") from exc
    if bad.count:
        _raise_ragged(path, options, label, bad.count)
    if not options.header:
        # Without a header, columns are named by position: column1, column2, ...
        table = table.rename_columns([f"column{i + 1}" for i in range(table.num_columns)])
    return table


def _csv_error(exc: BaseException, options: CsvOptions, label: str) -> str:
    text = _short(exc)
    if "Empty CSV file" in text:
        return f"{label}: the file has no header line (it is empty or blank); export it again"
    if "straddling object" in text or "straddles two block" in text:
        return (
            f"{label}: a line is longer than {MAX_LINE_BYTES:,} bytes, the limit for one line. "
            "Check that this is the CSV export (not a binary or one-line file) and that "
            "csv.quote matches the file (an unclosed quote runs to the end of the file)"
        )
    if isinstance(exc, UnicodeError) or "UTF8" in text or "UTF-8" in text:
        return (
            f"{label}: is not valid {options.encoding} text ({text}). Set csv.encoding to the "
            "file's encoding (e.g. latin-1, cp1252, utf-16)"
        )
    return (
        f"{label}: cannot be parsed as CSV with delimiter {options.delimiter!r} and quote "
        f"{options.quote!r} ({text}). Check csv.delimiter and csv.quote"
    )


def _raise_ragged(path: Path, options: CsvOptions, label: str, count: int) -> None:
    # Threaded reading does not know line numbers; re-scan single-threaded on this error path.
    bad = _BadRows()
    read = pacsv.ReadOptions(
        encoding=options.encoding,
        autogenerate_column_names=not options.header,
        use_threads=False,
        block_size=MAX_LINE_BYTES,
    )
    parse = pacsv.ParseOptions(
        delimiter=options.delimiter, quote_char=options.quote, invalid_row_handler=bad
    )
    convert = pacsv.ConvertOptions(null_values=list(options.null_values))
    # Another parse error may stop the re-scan; the examples gathered so far are enough.
    with contextlib.suppress(pa.ArrowInvalid, UnicodeError):
        pacsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)
    examples = "; ".join(bad.examples)
    raise SourceError(
        f"{label}: {count} row(s) have a different number of fields than the header "
        f"(delimiter {options.delimiter!r}): {examples}. Fix those rows, or check csv.delimiter "
        "and csv.quote"
    )


def _check_columns(table: pa.Table, label: str) -> None:
    duplicated = _repeated(table.column_names)
    if duplicated:
        raise SourceError(
            f"{label}: column name(s) {duplicated} appear more than once; give every column a "
            "unique name"
        )


def delimiter_hint(table: pa.Table, options: CsvOptions) -> str:
    """A hint when a CSV parsed as one column whose name contains another delimiter."""
    if table.num_columns != 1:
        return ""
    header = table.column_names[0]
    for candidate in _OTHER_DELIMITERS:
        if candidate != options.delimiter and candidate in header:
            return (
                f" The file was read as a single column; its header looks delimited by "
                f"{candidate!r}: set csv.delimiter: {candidate!r}."
            )
    return ""
