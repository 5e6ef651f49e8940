"""``POST /api/v1/fleets/{fleet}/feedback``: ground truth as JSON records, counted as the CLI
counts them.

The body is ``{"records": [{"tenant", "ts", "value", "request_id"?}, ...]}``: at most
:data:`MAX_RECORDS` records (and the app's body limit, 1 MiB), unknown fields refused. ``ts`` is
an ISO date (``2026-12-01``, its midnight) or date and time (``2026-12-01T10:00:00Z``; without
an offset it is UTC). The records take the path of ``modelfleet feedback``
(:func:`modelfleet.monitoring.feedback.ingest_records`), with the lateness setting of the fleet
spec the server was started with (``--spec``; 404 without one), as promotion takes its policy:
a request never carries a spec. The batch is all or none: a record of a tenant the fleet has
no model of, or any other unusable one, refuses the whole body (422, each such record named as
``body.records.N.field``), so nothing of it is stored until it is sent again fixed.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Final

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from pydantic import BeforeValidator, Field, StringConstraints, WithJsonSchema

from modelfleet.api.params import FleetPath
from modelfleet.api.responses import LOOKUP_ERRORS
from modelfleet.api.routes.deps import Control, Plane
from modelfleet.monitoring.feedback import (
    REQUEST_ID_PATTERN,
    Actual,
    FeedbackRecordsError,
)
from modelfleet.wire.base import In, Out
from modelfleet.wire.rules import TENANT_RULE, excerpt

# 5,000 records of short ids are about half of the 1 MiB body limit; a sender with more splits
# them into several bodies (each is counted, and refused or stored, on its own).
MAX_RECORDS: Final = 5_000
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# RFC 3339's date-time (any fraction of a second; the offset may be left out, meaning UTC),
# matched before Python checks the ranges, so nothing else ISO 8601 allows gets through.
_DATE_TIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})?$"
)
_TS_HINT = "an ISO date (2026-12-01) or date and time (2026-12-01T10:00:00Z)"


def parse_timestamp(value: Any) -> datetime:
    """An ISO date (its midnight UTC) or date and time as an aware datetime; ValueError naming
    what is wrong otherwise (the 422 of the record's ``ts``)."""
    if not isinstance(value, str):
        raise ValueError(f"is a {type(value).__name__}, not text: send {_TS_HINT}")
    text = value
    try:
        if _DATE.fullmatch(text):
            return datetime.combine(date.fromisoformat(text), time(), UTC)
        if _DATE_TIME.fullmatch(text):
            parsed = datetime.fromisoformat(text.upper())
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
    except ValueError as exc:
        raise ValueError(f"{excerpt(text)} is not a valid date or time: {exc}") from None
    raise ValueError(f"{excerpt(text)} is not {_TS_HINT}")


Timestamp = Annotated[
    datetime,
    BeforeValidator(parse_timestamp),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date"},
                {"type": "string", "format": "date-time"},
            ],
            "description": "the date the value is of; a time without an offset is UTC",
        }
    ),
]
RequestId = Annotated[
    str,
    StringConstraints(pattern=REQUEST_ID_PATTERN),
    Field(description="the request whose prediction this value answers (X-Request-ID)"),
]


class ActualIn(In):
    """One observed value of a tenant's target."""

    tenant: Annotated[str, TENANT_RULE, Field(description="tenant id")]
    ts: Timestamp
    value: Annotated[float, Field(allow_inf_nan=False, description="the observed value")]
    request_id: RequestId | None = None

    def actual(self) -> Actual:
        """The domain record."""
        return Actual(self.tenant, self.ts, self.value, self.request_id)


class FeedbackIn(In):
    """A batch of actuals of one fleet, stored all or none."""

    records: Annotated[
        list[ActualIn],
        Field(min_length=1, max_length=MAX_RECORDS, description="at most 5,000 records"),
    ]


class FeedbackOut(Out):
    """What the batch did, counted as ``modelfleet feedback --json`` counts a file."""

    fleet: str
    source: str
    rows: int
    new: int
    revised: int
    unchanged: int
    repeated: int = Field(description="the same (tenant, ts) again in this body: the last kept")
    late: int = Field(description="stored, but older than monitoring.performance.max_delay")
    stored: int = Field(description="new and revised")
    unknown_tenants: dict[str, int] = Field(description="always empty here: refused with 422")
    invalid: dict[str, int] = Field(description="always empty here: refused with 422")


router = APIRouter(prefix="/api/v1", tags=["monitoring"], responses=LOOKUP_ERRORS)


@router.post("/fleets/{fleet}/feedback", response_model=FeedbackOut)
def post_feedback(
    control: Control, plane: Plane, fleet: FleetPath, body: FeedbackIn
) -> FeedbackOut:
    """Store ground truth of a served fleet; every record counted once, nothing stored when
    any record is unusable."""
    spec = control.served_spec(fleet, "feedback (its tenants and lateness setting)")
    try:
        report = plane.feedback(fleet, [r.actual() for r in body.records], spec)
    except FeedbackRecordsError as exc:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", "records", p.index, p.field),
                    "msg": p.message,
                }
                for p in exc.problems
            ]
        ) from None
    return FeedbackOut.of(report)
