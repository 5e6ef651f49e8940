"""Personal data policies applied where data enters: source tables at ingest, records at serving.

The fleet spec's ``pii:`` block names columns and a policy each (drop, mask, hash; see
:mod:`modelfleet.config.pii_blocks`). :class:`Scrubber` applies them to a raw source table right
after it is read, before mapping, conversion or validation, so no finding, feature, artifact,
run record or log line can quote a raw value; the prediction server applies the same policy to
the records of each request before they are scored or logged.

Every value is first put in its canonical text form (trimmed; numbers as the mapping writes
them, 12.0 as "12"), so a value hashes the same whether it came from a CSV, Parquet or a JSON
request. The keyed hash is the standard library's HMAC-SHA256, computed once per distinct value
of a column (Arrow's dictionary encoding finds them); everything else is Arrow compute.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.config.pii_blocks import PiiPolicy
from modelfleet.config.spec import ChecksSpec, FleetSpec, SourceSpec
from modelfleet.errors import ConfigError, SourceError
from modelfleet.quoting import excerpt

MASK: Final = "***"
HASH_DIGITS: Final = 32  # 128 bits of the HMAC: no two distinct values collide in practice
MIN_KEY_BYTES: Final = 16
MAX_KEY_BYTES: Final = 4096
_WHOLE_LIMIT: Final = 1e15  # floats below this print as whole numbers, as the mapping does
_SCALARS: Final = frozenset({str, int, float, bool, type(None)})


def read_key(spec: FleetSpec) -> bytes | None:
    """The hash key from ``pii.key_file`` (None when no column is hashed).

    The key's bytes never appear in a message; errors name the file and say how to fix it.
    """
    if not spec.pii.hashed():
        return None
    if not spec.pii.key_file:  # the spec validator refuses this; kept for specs built by hand
        raise ConfigError("pii.key_file: the hash policy needs a key file; set pii.key_file")
    path = Path(spec.pii.key_file).expanduser()
    path = path if path.is_absolute() else Path(spec.base_dir) / path
    advice = "write at least 16 random bytes to it (e.g. `openssl rand -hex 32 > pii.key`)"
    try:
        with path.open("rb") as handle:
            key = handle.read(MAX_KEY_BYTES + 1).strip()
    except FileNotFoundError:
        raise ConfigError(f"pii.key_file: {path} does not exist; {advice}") from None
    except OSError as exc:
        raise ConfigError(
            f"pii.key_file: {path} cannot be read ({excerpt(exc.strerror, quoted=False)}); "
            "make it readable by the user running modelfleet"
        ) from None
    if len(key) > MAX_KEY_BYTES:
        raise ConfigError(
            f"pii.key_file: {path} holds more than {MAX_KEY_BYTES} bytes, so it is not a key "
            f"file (is the path right?); {advice}"
        )
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(
            f"pii.key_file: {path} holds {len(key)} byte(s), too short for a key; {advice}"
        )
    return key


def canonical_text(values: pa.Array | pa.ChunkedArray, column: str) -> pa.Array:
    """``values`` as the text the mapping would write: trimmed, '' as null, 12.0 as '12'."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    kind = array.type
    if pa.types.is_null(kind):
        return pa.nulls(len(array), pa.string())
    if pa.types.is_dictionary(kind):
        array, kind = array.cast(kind.value_type), kind.value_type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = pc.utf8_trim_whitespace(array.cast(pa.string()))
        return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    if pa.types.is_floating(kind):
        number = array.cast(pa.float64())
        whole = pc.and_(pc.equal(pc.trunc(number), number), pc.less(pc.abs(number), _WHOLE_LIMIT))
        whole = pc.fill_null(whole, False)
        as_int = pc.if_else(whole, number, 0.0).cast(pa.int64()).cast(pa.string())
        text = pc.if_else(whole, as_int, number.cast(pa.string()))
        return pc.if_else(pc.is_nan(number), pa.scalar(None, pa.string()), text)
    try:
        return array.cast(pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        raise SourceError(
            f"pii.columns.{column}: values of type {kind} cannot be turned into text to apply "
            "the policy; export the column as text"
        ) from None


def apply_policy(text: pa.Array, policy: PiiPolicy, key: bytes | None) -> pa.Array:
    """The policy applied to canonical text: nulls (drop), the mask token, or keyed hashes."""
    if policy == "drop":
        return pa.nulls(len(text), pa.string())
    if policy == "mask":
        return pc.if_else(pc.is_valid(text), pa.scalar(MASK), pa.scalar(None, pa.string()))
    if key is None:
        raise ConfigError("pii.key_file: the hash policy needs a key; set pii.key_file")
    encoded = pc.dictionary_encode(text)
    distinct = encoded.dictionary.to_pylist()
    # The stdlib's HMAC, once per distinct value; the take back to rows is vectorised. Copying
    # one keyed HMAC skips re-keying per value.
    keyed = hmac.new(key, digestmod=hashlib.sha256)
    digests = [_digest(keyed, value) for value in distinct]
    return pc.take(pa.array(digests, pa.string()), encoded.indices)


def _digest(keyed: hmac.HMAC, value: str) -> str:
    mac = keyed.copy()
    mac.update(value.encode("utf-8"))
    return mac.hexdigest()[:HASH_DIGITS]


@dataclass(frozen=True)
class Scrubber:
    """A fleet's PII policies with their key, applied to source tables and request records."""

    policies: Mapping[str, PiiPolicy]  # canonical column -> policy
    key: bytes | None = field(default=None, repr=False)  # never shown, never logged

    @classmethod
    def for_spec(cls, spec: FleetSpec) -> Scrubber:
        """The spec's policies; reads the key file when a column is hashed."""
        return cls(dict(spec.pii.columns), read_key(spec))

    def nullable(self, checks: ChecksSpec) -> ChecksSpec:
        """``checks`` with the dropped columns nullable: they are null by design, not by gap."""
        dropped = tuple(c for c, p in self.policies.items() if p == "drop")
        if not dropped:
            return checks
        return checks.model_copy(update={"nullable": (*checks.nullable, *dropped)})

    def read_error(self, label: str, exc: SourceError) -> SourceError:
        """A source's read error, without its details when the fleet declares personal data.

        A parser's message may quote raw lines (a ragged row, a bad byte), which may hold
        the very values the policies exist to keep out of run records and logs.
        """
        if not self.policies:
            return exc
        return SourceError(
            f"{label}: cannot be read as configured. The parser's details may quote raw rows, "
            "so they are withheld: this fleet declares personal data (pii.columns). Check the "
            "file's delimiter, quote and encoding (csv options), or read it on a trusted machine"
        )

    def table(self, table: pa.Table, source: SourceSpec) -> pa.Table:
        """A raw source table with every PII column (by its name in the source) scrubbed."""
        for canonical, policy in self.policies.items():
            name = source.columns.get(canonical, canonical)
            if name not in table.column_names:
                continue
            index = table.column_names.index(name)
            if policy == "drop":  # a null-typed column: the mapping casts it to the schema's type
                scrubbed = pa.nulls(table.num_rows)
            else:
                text = canonical_text(table.column(index), canonical)
                scrubbed = apply_policy(text, policy, self.key)
            table = table.set_column(index, name, scrubbed)
        return table

    def records(self, records: Sequence[Any]) -> list[Any]:
        """Request records (JSON objects) with PII fields removed (drop), masked or hashed.

        New dicts are returned (the caller's are not changed); anything that is not an object is
        passed through for the input check to refuse, by position, without quoting it.
        """
        out = [dict(r) if isinstance(r, Mapping) else r for r in records]
        for column, policy in self.policies.items():
            rows = [i for i, r in enumerate(out) if isinstance(r, dict) and column in r]
            if not rows:
                continue
            if policy == "drop":  # removed: as if the client had not sent it
                for i in rows:
                    del out[i][column]
                continue
            text = canonical_text(_json_values([out[i][column] for i in rows]), column)
            for i, value in zip(
                rows, apply_policy(text, policy, self.key).to_pylist(), strict=True
            ):
                out[i][column] = value
        return out


def _json_values(values: list[Any]) -> pa.Array:
    """JSON values as one Arrow array; a mix of types (or objects) as their JSON text."""
    if set(map(type, values)) <= _SCALARS:
        try:
            return pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass  # e.g. numbers and strings mixed: each as text below
    return pa.array(
        [
            v if v is None or isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)
            for v in values
        ],
        pa.string(),
    )
