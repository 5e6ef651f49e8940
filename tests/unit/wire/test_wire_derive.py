"""Derived conversion: every record shape survives record -> JSON -> record unchanged.

No shape converts its fields by hand, so these tests are what keeps a record and its wire shape
in step: a field added to a record must come back from JSON or one of these fails.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime

import pytest
from tests.unit.api.seed import SIGNATURE, build_run

from modelfleet.registry.records import (
    ModelEvent,
    ModelVersion,
    PromotionBatch,
    PromotionOutcome,
    SemVer,
)
from modelfleet.tracking.records import FindingRecord, FleetRunRecord, TrialRecord
from modelfleet.wire import (
    FleetRunOut,
    ModelEventOut,
    ModelVersionOut,
    PromotionBatchOut,
    PromotionOutcomeOut,
    RunOut,
    SignatureOut,
)
from modelfleet.wire.base import RecordOut

AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
VERSION = ModelVersion(
    model="demand/s1",
    fleet="demand",
    tenant="s1",
    version=SemVer(1, 2, 3),
    status="active",
    run_id="ab" * 16,
    family="lightgbm",
    signature=SIGNATURE,
    model_digest="d" * 64,
    model_uri="file:///a/dd/" + "d" * 64,
    meta_digest=None,
    holdout_digest="h" * 64,
    metrics={"wmape": 0.2, "r2": math.nan},
    baseline_metrics={"wmape": 0.3},
    tags={"tier": "gold"},
    data_fingerprint="fp",
    config_hash=None,
    code_version="abc",
    aliases=("prod", "dev"),
    description="",
    created_at=AT,
    created_by="alice",
)
EVENT = ModelEvent(
    1, "demand/s1", "alias_set", "prod", None, SemVer(1, 0, 0), "bob", "why", AT, "b1"
)
OUTCOME = PromotionOutcome("demand/s1", "prod", False, SemVer(1, 0, 0), None, "no", True)
RUN = dataclasses.replace(
    build_run("s1", 0.2, 0.3),
    signature=SIGNATURE,
    trials=(TrialRecord(0, math.nan, {"num_leaves": 31}, "FAIL"),),
    findings=(FindingRecord("nulls", "warning", "promo", 3, "3 nulls", ("line 4",)),),
)
CASES: list[tuple[type[RecordOut[object]], object]] = [
    (ModelVersionOut, VERSION),
    (ModelEventOut, EVENT),
    (PromotionOutcomeOut, OUTCOME),
    (PromotionBatchOut, PromotionBatch("b1", "demand", "prod", (OUTCOME,))),
    (SignatureOut, SIGNATURE),
    (RunOut, RUN),
    (
        FleetRunOut,
        FleetRunRecord(
            "f1", "demand", "dev", "running", AT, None, "h", actor="ci", trigger="drift"
        ),
    ),
]


def _same(a: object, b: object) -> bool:
    # NaN != NaN, so compare records with NaN replaced by a marker.
    def plain(value: object) -> object:
        if isinstance(value, float) and math.isnan(value):
            return "NaN"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        return value

    return plain(a) == plain(b)


@pytest.mark.parametrize(("shape", "record"), CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_a_record_survives_json_unchanged(shape: type[RecordOut[object]], record: object) -> None:
    wire = shape.of(record)

    back = shape.model_validate_json(wire.model_dump_json()).record()

    assert _same(back, record)


def test_versions_travel_as_text_and_nan_as_null() -> None:
    data = ModelVersionOut.of(VERSION).model_dump(mode="json")

    assert data["version"] == "1.2.3" and data["metrics"]["r2"] is None
    assert data["signature"]["digest"] == SIGNATURE.digest()


def test_a_run_carries_its_signature_over_the_wire() -> None:
    back = RunOut.model_validate_json(RunOut.of(RUN).model_dump_json()).record()

    assert back.signature == SIGNATURE
