"""Turning scoring results and input errors into the server's JSON answers."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from modelfleet.api.handlers import error_response
from modelfleet.errors import InputError
from modelfleet.scoring import Prediction
from modelfleet.wire import ErrorField
from modelfleet.wire.scoring import ContributionsOut, PredictionRowOut, PredictOut


def answer(prediction: Prediction) -> PredictOut:
    """The JSON answer of one scored request (with its explanations when asked)."""
    stamps = prediction.timestamps.astype("datetime64[s]").astype(str)
    found = prediction.explanation
    reasons: list[ContributionsOut | None] = [None] * len(stamps)
    if found is not None:
        reasons = [
            ContributionsOut(
                base=float(base), contributions=dict(zip(found.names, row.tolist(), strict=True))
            )
            for base, row in zip(found.base, found.contributions, strict=True)
        ]
    return PredictOut(
        request_id=prediction.request_id,
        model=prediction.model,
        version=prediction.version,
        environment=prediction.environment,
        arm=prediction.arm,
        predictions=[
            PredictionRowOut(timestamp=str(t), value=float(v), explanation=why)
            for t, v, why in zip(stamps, prediction.values, reasons, strict=True)
        ],
        explanation_method=None if found is None else found.method,
        explanation_scale=None if found is None else found.scale,
    )


async def input_error(_request: Request, exc: Exception) -> JSONResponse:
    """422 naming every bad field of the records (under ``body``)."""
    assert isinstance(exc, InputError)
    fields = [
        ErrorField(loc=["body", *loc], message=message, type=kind)
        for loc, message, kind in exc.fields
    ]
    return error_response(exc.http_status, exc.headline, exc.message, fields)
