"""Turning scoring results and input errors into the server's JSON answers."""

from __future__ import annotations

import math

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse, Response

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


def answer_json(prediction: Prediction) -> Response:
    """The same answer as :func:`answer`, serialised in one orjson pass (the hot path).

    The route keeps :class:`PredictOut` as its documented response model; returning bytes skips
    building and re-validating one pydantic object per record. Values that are not numbers go
    out as null, as :class:`PredictOut` sends them.
    """
    stamps = prediction.timestamps.astype("datetime64[s]").astype(str).tolist()
    values = [v if math.isfinite(v) else None for v in prediction.values.tolist()]
    found = prediction.explanation
    if found is None:
        rows = [
            {"timestamp": t, "value": v, "explanation": None}
            for t, v in zip(stamps, values, strict=True)
        ]
    else:
        names = list(found.names)
        rows = [
            {
                "timestamp": t,
                "value": v,
                "explanation": {
                    "base": _finite(base),
                    "contributions": dict(zip(names, map(_finite, row), strict=True)),
                },
            }
            for t, v, base, row in zip(
                stamps, values, found.base.tolist(), found.contributions.tolist(), strict=True
            )
        ]
    body = {
        "request_id": prediction.request_id,
        "model": prediction.model,
        "version": prediction.version,
        "environment": prediction.environment,
        "arm": prediction.arm,
        "predictions": rows,
        "explanation_method": None if found is None else found.method,
        "explanation_scale": None if found is None else found.scale,
    }
    return Response(orjson.dumps(body), media_type="application/json")


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


async def input_error(_request: Request, exc: Exception) -> JSONResponse:
    """422 naming every bad field of the records (under ``body``)."""
    assert isinstance(exc, InputError)
    fields = [
        ErrorField(loc=["body", *loc], message=message, type=kind)
        for loc, message, kind in exc.fields
    ]
    return error_response(exc.http_status, exc.headline, exc.message, fields)
