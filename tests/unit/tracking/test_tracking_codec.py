"""Params keep their type through the store; records convert to rows and back unchanged."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from modelfleet.tracking import ParamValue, TenantRunRecord
from modelfleet.tracking.codec import decode_param, encode_param, from_bundle, to_bundle


@pytest.mark.parametrize(
    "value",
    [None, True, False, 0, 31, -(2**62), 0.1, 1e-300, -2.5, "", "l2", "true", "31"],
)
def test_a_param_decodes_to_the_value_and_type_it_was_encoded_from(value: ParamValue) -> None:
    decoded = decode_param(encode_param("k", value))

    assert decoded == value
    assert type(decoded) is type(value)


@pytest.mark.parametrize("value", [math.inf, -math.inf])
def test_infinite_float_params_round_trip(value: float) -> None:
    assert decode_param(encode_param("k", value)) == value


def test_a_nan_param_round_trips_as_nan() -> None:
    decoded = decode_param(encode_param("k", math.nan))

    assert isinstance(decoded, float)
    assert math.isnan(decoded)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(np.int64(7), 7), (np.float32(0.5), 0.5), (np.bool_(True), True)],
)
def test_numpy_scalars_are_recorded_as_plain_python_values(
    value: object, expected: ParamValue
) -> None:
    decoded = decode_param(encode_param("k", value))

    assert decoded == expected
    assert type(decoded) is type(expected)


def test_an_unsupported_param_type_names_the_key() -> None:
    with pytest.raises(TypeError, match=r"param 'model\.layers' has type list"):
        encode_param("model.layers", [1, 2])


def test_a_record_survives_conversion_to_rows_and_back(
    full_record: Callable[[], TenantRunRecord],
) -> None:
    record = full_record()

    assert from_bundle(to_bundle(record)) == record


def test_metrics_baselines_and_timings_are_stored_under_their_own_scopes(
    full_record: Callable[[], TenantRunRecord],
) -> None:
    bundle = to_bundle(full_record())

    scopes = {(metric.scope, metric.key) for metric in bundle.metrics}
    assert ("candidate", "mae") in scopes
    assert ("baseline", "mae") in scopes
    assert ("timing", "fit") in scopes
