"""Records checked against a signature: every problem named with its place, hostile values."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from modelfleet.errors import InputError
from modelfleet.scoring.inputs import MAX_PROBLEMS, records_table
from modelfleet.tracking.signature import Signature, SignatureField
from modelfleet.training.package import PackageMetadata


def _meta() -> PackageMetadata:
    inputs = (
        SignatureField("lag_7", "double"),
        SignatureField("promo", "int64"),
        SignatureField("region", "string", categorical=True),
        SignatureField("open", "bool"),
    )
    return PackageMetadata(
        fleet="f",
        tenant="t",
        family="lightgbm",
        task="regression",
        frequency="D",
        horizon=7,
        timestamp="date",
        target="sales",
        feature_columns=tuple(f.name for f in inputs),
        categorical=("region",),
        vocabulary={"region": ("north", "south")},
        signature=Signature(inputs, SignatureField("sales", "float64")),
    )


def _record(**changes: Any) -> dict[str, Any]:
    record = {"date": "2024-03-01", "lag_7": 5.5, "promo": 1, "region": "north", "open": True}
    record.update(changes)
    return record


def _problems(records: Any) -> list[tuple[Any, ...]]:
    with pytest.raises(InputError) as caught:
        records_table(records, _meta(), model="f/t")
    assert "f/t" in caught.value.message
    return list(caught.value.fields)


def test_good_records_become_a_table_in_signature_order_with_timestamps() -> None:
    table, stamps = records_table([_record(), _record(promo=0)], _meta(), model="f/t")

    assert table.column_names == ["lag_7", "promo", "region", "open"]
    assert table["promo"].to_pylist() == [1, 0]
    assert list(stamps) == [np.datetime64("2024-03-01", "ns")] * 2


def test_an_integer_is_accepted_where_a_float_is_expected() -> None:
    table, _ = records_table([_record(lag_7=5)], _meta(), model="f/t")

    assert table["lag_7"].to_pylist() == [5.0]


def test_null_is_a_missing_value_for_any_input() -> None:
    record = _record(lag_7=None, promo=None, region=None, open=None)

    table, _ = records_table([record], _meta(), model="f/t")

    assert table.to_pylist() == [{"lag_7": None, "promo": None, "region": None, "open": None}]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused_with_the_advice_to_send_null(value: float) -> None:
    (loc, message, _), *_ = _problems([_record(lag_7=value)])

    assert loc == ("records", 0, "lag_7")
    assert "send null" in message


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("lag_7", "5.5", "number_type"),
        ("lag_7", True, "number_type"),
        ("promo", 1.5, "integer_type"),
        ("promo", [1], "integer_type"),
        ("region", 3, "text_type"),
        ("open", 1, "boolean_type"),
    ],
)
def test_a_wrong_type_names_the_field_and_what_it_takes(field: str, value: Any, kind: str) -> None:
    (loc, message, got_kind), *_ = _problems([_record(**{field: value})])

    assert (loc, got_kind) == (("records", 0, field), kind)
    assert f"{field} takes" in message


def test_a_whole_float_is_accepted_for_an_integer_field() -> None:
    table, _ = records_table([_record(promo=2.0)], _meta(), model="f/t")

    assert table["promo"].to_pylist() == [2]


def test_every_missing_and_unknown_field_is_listed() -> None:
    record = _record(extra=1)
    del record["promo"]

    problems = _problems([_record(), record])

    assert {(loc, kind) for loc, _, kind in problems} == {
        (("records", 1, "promo"), "missing"),
        (("records", 1, "extra"), "extra_forbidden"),
    }


def test_a_missing_timestamp_is_a_missing_field() -> None:
    record = _record()
    del record["date"]

    assert _problems([record])[0][:1] == (("records", 0, "date"),)


@pytest.mark.parametrize("value", ["", "yesterday", "2024-13-45", 20240301, None])
def test_a_timestamp_that_is_not_a_date_is_named(value: Any) -> None:
    (loc, message, kind), *_ = _problems([_record(date=value)])

    assert (loc, kind) == (("records", 0, "date"), "timestamp")
    assert "ISO date" in message


def test_a_record_that_is_not_an_object_is_named() -> None:
    (loc, _, kind), *_ = _problems([_record(), "oops"])

    assert (loc, kind) == (("records", 1), "not_object")


def test_no_records_is_an_error() -> None:
    assert _problems([])[0][2] == "too_short"


def test_a_huge_bad_batch_lists_a_bounded_number_of_problems() -> None:
    problems = _problems([_record(promo="x")] * 5_000)

    assert len(problems) == MAX_PROBLEMS


def test_a_long_hostile_value_is_quoted_short_in_the_message() -> None:
    (_, message, _), *_ = _problems([_record(region=7, lag_7="\x1b[31m" + "A" * 10_000)])

    assert len(message) < 400
    assert "\x1b" not in message


# -- the one-conversion path: signatures without a boolean input -----------------------------


def _numeric_meta() -> PackageMetadata:
    meta = _meta()
    inputs = tuple(f for f in meta.signature.inputs if f.name != "open")
    return PackageMetadata(
        **{
            **{k: getattr(meta, k) for k in meta.__dataclass_fields__},
            "feature_columns": tuple(f.name for f in inputs),
            "signature": Signature(inputs, meta.signature.output),
        }
    )


def _numeric_record(**changes: Any) -> dict[str, Any]:
    record = _record(**changes)
    del record["open"]
    return record


def _numeric_problems(records: Any) -> list[tuple[Any, ...]]:
    with pytest.raises(InputError) as caught:
        records_table(records, _numeric_meta(), model="f/t")
    return list(caught.value.fields)


def test_numeric_records_with_nulls_become_float_columns_with_exact_whole_numbers() -> None:
    records = [
        _numeric_record(lag_7=1.25, promo=3),
        _numeric_record(lag_7=None, promo=None, region=None),
        _numeric_record(lag_7=-2, promo=2.0, region="south"),
    ]

    table, _ = records_table(records, _numeric_meta(), model="f/t")

    assert table.column_names == ["lag_7", "promo", "region"]
    assert table.to_pylist() == [
        {"lag_7": 1.25, "promo": 3.0, "region": "north"},
        {"lag_7": None, "promo": None, "region": None},
        {"lag_7": -2.0, "promo": 2.0, "region": "south"},
    ]


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("lag_7", True, "number_type"),  # Arrow alone would read it as 1.0
        ("promo", False, "integer_type"),
        ("promo", 2.5, "integer_type"),  # Arrow alone would truncate it to 2
        ("lag_7", "5.5", "number_type"),
        ("region", 7, "text_type"),
        ("promo", 2**60, "integer_type"),  # beyond what float64 holds exactly
    ],
)
def test_a_wrong_value_among_good_numeric_records_is_named_at_its_row(
    field: str, value: Any, kind: str
) -> None:
    records = [_numeric_record() for _ in range(5)]
    records[3] = _numeric_record(**{field: value})

    (loc, _, got_kind), *_ = _numeric_problems(records)

    assert (loc, got_kind) == (("records", 3, field), kind)


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_nan_or_infinity_beside_nulls_is_refused_at_its_row(value: float) -> None:
    records = [_numeric_record(lag_7=None), _numeric_record(lag_7=value), _numeric_record()]

    (loc, message, _), *_ = _numeric_problems(records)

    assert loc == ("records", 1, "lag_7")
    assert "send null" in message
