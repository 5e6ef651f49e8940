"""The JSON shapes read back into records equal to the ones they were made from."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from tests.unit.api.seed import build_run

from modelfleet.errors import (
    ConfigError,
    ConflictError,
    ModelfleetError,
    NotFoundError,
    PromotionError,
    StoreError,
    UsageError,
)
from modelfleet.tracking.signature import Signature, SignatureField
from modelfleet.wire import RunOut, error_class


def _round_trip(shape: RunOut) -> RunOut:
    return RunOut.model_validate_json(shape.model_dump_json())


def test_a_run_round_trips_exactly() -> None:
    run = build_run("s1", 0.2, 0.3)

    assert _round_trip(RunOut.of(run)).record() == run


def test_a_runs_signature_round_trips() -> None:
    signature = Signature((SignatureField("region", "string", True),), SignatureField("y", "f8"))
    run = replace(build_run("s1", 0.2, 0.3), signature=signature)

    assert _round_trip(RunOut.of(run)).record().signature == signature


def test_nan_and_infinite_metrics_travel_as_null_and_come_back_nan() -> None:
    run = replace(build_run("s1", 0.2, 0.3), metrics={"wmape": math.nan, "mae": math.inf})

    shape = RunOut.of(run)
    back = _round_trip(shape).record()

    assert shape.metrics == {"wmape": None, "mae": None}
    assert math.isnan(back.metrics["wmape"]) and math.isnan(back.metrics["mae"])


def test_param_types_survive_json() -> None:
    params = {"a": True, "b": 3, "c": 0.5, "d": None, "e": "text", "f": 1.0}
    run = replace(build_run("s1", 0.2, 0.3), params=params)

    back = _round_trip(RunOut.of(run)).record().params

    assert back == params
    assert [type(back[k]) for k in "abcdef"] == [bool, int, float, type(None), str, float]


def test_a_newer_servers_extra_fields_are_ignored() -> None:
    payload = RunOut.of(build_run("s1", 0.2, 0.3)).model_dump(mode="json")
    payload["added_later"] = {"x": 1}

    assert RunOut.model_validate(payload).record() == build_run("s1", 0.2, 0.3)


@pytest.mark.parametrize(
    ("status", "headline", "expected"),
    [
        (404, "not found", NotFoundError),
        (409, "conflict", ConflictError),
        (409, "cannot register or promote", PromotionError),
        (422, "invalid request", UsageError),
        (422, "invalid configuration", ConfigError),
        (503, "metadata store error", StoreError),
        (404, "something new", NotFoundError),
        (418, "teapot", ModelfleetError),
    ],
)
def test_error_class_matches_status_and_headline(
    status: int, headline: str, expected: type[ModelfleetError]
) -> None:
    assert error_class(status, headline) is expected
