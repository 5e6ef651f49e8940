"""PII policies at ingest and on request records: drop, mask, keyed hash, the key file, errors."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from modelfleet.config.spec import FleetSpec
from modelfleet.data.ingest import load_fleet_data
from modelfleet.data.pii import MASK, Scrubber, apply_policy, canonical_text, read_key
from modelfleet.errors import ConfigError, SourceError

Build = Callable[..., FleetSpec]
Write = Callable[[str, str], Path]
KEY = b"unit-test-key-0123456789abcdef"
EMAIL = "Jane.Planted@example.org"


def _hmac(value: str, key: bytes = KEY) -> str:
    return hmac.digest(key, value.encode(), hashlib.sha256).hex()[:32]


def _schema(**columns: str) -> dict[str, Any]:
    return {"tenant_key": "store", "timestamp": "date", "target": "sales", "columns": columns}


def _pii(columns: dict[str, str], key_file: str | None = "pii.key") -> dict[str, Any]:
    return {"columns": columns, "key_file": key_file}


def _sales(write_file: Write, extra: str, values: list[str], days: int = 30) -> None:
    start = date(2024, 1, 1)
    rows = [f"store,date,sales,{extra}"]
    rows += [
        f"{s},{start + timedelta(days=d)},{d},{values[(d + s) % len(values)]}"
        for s in (1, 2)
        for d in range(days)
    ]
    write_file("sales.csv", "\n".join(rows) + "\n")


# ------------------------------------------------------------------- the policies, column-wise
def test_hash_is_the_stdlibs_hmac_sha256_of_the_value_truncated_to_32_hex_digits() -> None:
    hashed = apply_policy(pa.array([EMAIL]), "hash", KEY)

    assert hashed.to_pylist() == [_hmac(EMAIL)]


def test_hash_keeps_equal_values_equal_and_nulls_null() -> None:
    hashed = apply_policy(pa.array([EMAIL, None, EMAIL, "other"]), "hash", KEY).to_pylist()

    assert hashed[0] == hashed[2] != hashed[3]
    assert hashed[1] is None


def test_another_key_gives_other_hashes() -> None:
    first = apply_policy(pa.array([EMAIL]), "hash", KEY).to_pylist()
    second = apply_policy(pa.array([EMAIL]), "hash", KEY + b"2").to_pylist()

    assert first != second


def test_mask_writes_the_token_and_leaves_nulls_null() -> None:
    masked = apply_policy(pa.array(["+49 30 1234", None]), "mask", None)

    assert masked.to_pylist() == [MASK, None]


def test_drop_leaves_only_nulls() -> None:
    assert apply_policy(pa.array(["Jane", "John"]), "drop", None).to_pylist() == [None, None]


def test_hash_without_a_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"pii\.key_file"):
        apply_policy(pa.array([EMAIL]), "hash", None)


def test_text_is_trimmed_and_an_empty_value_is_null() -> None:
    assert canonical_text(pa.array(["  a@b.c ", "", None]), "email").to_pylist() == [
        "a@b.c",
        None,
        None,
    ]


def test_a_whole_float_reads_as_the_integer_it_is() -> None:
    assert canonical_text(pa.array([12.0, 2.5, float("nan")]), "id").to_pylist() == [
        "12",
        "2.5",
        None,
    ]


def test_a_value_that_cannot_be_text_is_a_source_error_naming_the_column() -> None:
    nested = pa.array([{"a": [1]}], pa.struct([("a", pa.list_(pa.int64()))]))

    with pytest.raises(SourceError, match=r"pii\.columns\.email"):
        canonical_text(nested, "email")


# ------------------------------------------------------------------------------ the key file
def test_the_key_is_read_from_the_key_file_beside_the_spec(
    make_spec: Build, write_file: Write
) -> None:
    write_file("pii.key", KEY.decode() + "\n")
    spec = make_spec(schema=_schema(email="str"), pii=_pii({"email": "hash"}))

    assert read_key(spec) == KEY


def test_no_key_is_read_when_no_column_is_hashed(make_spec: Build) -> None:
    spec = make_spec(schema=_schema(email="str"), pii=_pii({"email": "mask"}, key_file="none"))

    assert read_key(spec) is None


def test_a_missing_key_file_is_named_with_how_to_make_one(make_spec: Build) -> None:
    spec = make_spec(schema=_schema(email="str"), pii=_pii({"email": "hash"}))

    with pytest.raises(ConfigError, match=r"pii.key_file: .*pii.key does not exist.*openssl"):
        read_key(spec)


def test_a_short_key_is_refused_without_quoting_it(make_spec: Build, write_file: Write) -> None:
    write_file("pii.key", "s3cr3t")
    spec = make_spec(schema=_schema(email="str"), pii=_pii({"email": "hash"}))

    with pytest.raises(ConfigError, match="too short") as caught:
        read_key(spec)

    assert "s3cr3t" not in caught.value.message


def test_an_oversized_key_file_is_refused(make_spec: Build, write_file: Write) -> None:
    write_file("pii.key", "k" * 10_000)
    spec = make_spec(schema=_schema(email="str"), pii=_pii({"email": "hash"}))

    with pytest.raises(ConfigError, match="not a key file"):
        read_key(spec)


def test_the_key_is_not_in_the_scrubbers_repr(make_spec: Build, write_file: Write) -> None:
    write_file("pii.key", KEY.decode())
    spec = make_spec(schema=_schema(email="str"), pii=_pii({"email": "hash"}))

    assert KEY.decode() not in repr(Scrubber.for_spec(spec))


# ---------------------------------------------------------------------------------- at ingest
def test_loaded_data_holds_the_hash_of_each_email(make_spec: Build, write_file: Write) -> None:
    write_file("pii.key", KEY.decode())
    _sales(write_file, "email", [EMAIL, "x@example.org"])
    spec = make_spec(schema=_schema(email="str"), pii=_pii({"email": "hash"}))

    emails = set(load_fleet_data(spec).table["email"].to_pylist())

    assert emails == {_hmac(EMAIL), _hmac("x@example.org")}


def test_a_dropped_column_is_all_null_and_raises_no_null_warning(
    make_spec: Build, write_file: Write
) -> None:
    _sales(write_file, "name", ["Jane Planted"])
    spec = make_spec(schema=_schema(name="str"), pii=_pii({"name": "drop"}, key_file=None))

    data = load_fleet_data(spec)

    assert data.table["name"].null_count == data.table.num_rows
    assert [f for f in data.findings if f.column == "name"] == []


def test_a_dropped_number_column_is_never_quoted_in_a_type_finding(
    make_spec: Build, write_file: Write
) -> None:
    _sales(write_file, "age", ["forty-two", "41"])
    spec = make_spec(schema=_schema(age="int"), pii=_pii({"age": "drop"}, key_file=None))

    data = load_fleet_data(spec)

    assert not any("forty-two" in f.message for f in data.findings)


def test_a_mapped_source_column_is_scrubbed_under_its_source_name(
    make_spec: Build, write_file: Write
) -> None:
    _sales(write_file, "E-Mail", [EMAIL])
    spec = make_spec(
        schema=_schema(email="str"),
        sources=[{"name": "sales", "path": "sales.csv", "columns": {"email": "E-Mail"}}],
        pii=_pii({"email": "mask"}, key_file=None),
    )

    assert set(load_fleet_data(spec).table["email"].to_pylist()) == {MASK}


def test_a_read_error_of_a_fleet_with_pii_quotes_no_raw_row(
    make_spec: Build, write_file: Write
) -> None:
    _sales(write_file, "email", [EMAIL])
    with (Path(write_file("extra.txt", "")).parent / "sales.csv").open("a") as handle:
        handle.write(f"1,2024-03-01,5,{EMAIL},surplus\n")  # a ragged row holding an e-mail
    spec = make_spec(schema=_schema(email="str"), pii=_pii({"email": "mask"}, key_file=None))

    with pytest.raises(SourceError, match="withheld") as caught:
        load_fleet_data(spec)

    assert EMAIL not in caught.value.message


def test_a_bad_key_file_fails_the_load_naming_it(make_spec: Build, write_file: Write) -> None:
    _sales(write_file, "email", [EMAIL])
    spec = make_spec(schema=_schema(email="str"), pii=_pii({"email": "hash"}))

    with pytest.raises(ConfigError, match=r"pii\.key_file"):
        load_fleet_data(spec)


# ----------------------------------------------------------------------------- request records
def _scrubber() -> Scrubber:
    return Scrubber({"email": "hash", "phone": "mask", "name": "drop"}, KEY)


def test_records_get_the_same_hash_as_ingest_for_the_same_value() -> None:
    scrubbed = _scrubber().records([{"email": f" {EMAIL} ", "date": "2024-01-01"}])

    assert scrubbed == [{"email": _hmac(EMAIL), "date": "2024-01-01"}]


def test_a_dropped_field_is_removed_from_the_record() -> None:
    assert _scrubber().records([{"name": "Jane", "promo": 1}]) == [{"promo": 1}]


def test_a_masked_field_holds_the_token_and_a_null_stays_null() -> None:
    scrubbed = _scrubber().records([{"phone": "+49 30 1234"}, {"phone": None}])

    assert scrubbed == [{"phone": MASK}, {"phone": None}]


def test_the_callers_records_are_left_unchanged() -> None:
    record = {"email": EMAIL}

    _scrubber().records([record])

    assert record == {"email": EMAIL}


def test_a_number_in_a_hashed_field_hashes_as_its_text() -> None:
    assert _scrubber().records([{"email": 12}]) == [{"email": _hmac("12")}]


def test_an_object_in_a_hashed_field_is_hashed_not_passed_on() -> None:
    scrubbed = _scrubber().records([{"email": {"address": EMAIL}}, {"email": "x"}])

    assert EMAIL not in str(scrubbed)


def test_a_record_that_is_not_an_object_is_passed_on_for_the_input_check() -> None:
    assert _scrubber().records(["not an object"]) == ["not an object"]
