"""Error answers: one place maps every failure to a status and an :class:`ErrorOut` body.

* a :class:`~modelfleet.errors.ModelfleetError` answers with its own ``http_status`` and
  ``{"error": headline, "detail": message}``;
* a request that does not fit its schema (wrong type, missing or unknown field, bad path or
  query parameter, malformed JSON) answers 422 with one entry per offending field;
* a body FastAPI cannot decode (not UTF-8, nested past the decoder's guard) answers 422 like
  malformed JSON;
* a method a path does not accept answers 405 with ``Allow`` listing every method of every
  route on that path (Starlette's own 405 names only the first route's);
* anything else is a bug: 500 with a generic body, the traceback goes to the server log only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from modelfleet.api.allow import allowed, method_table
from modelfleet.errors import ModelfleetError
from modelfleet.wire.base import ErrorField, ErrorOut

log = logging.getLogger("modelfleet.api")

INVALID_REQUEST = "invalid request"
TOO_LARGE = "request too large"
MAX_MESSAGE = 300  # characters of one field message; never echo a huge input back
MAX_LOC_PART = 60  # characters of one step of a field's path (a body's keys are the sender's)
MAX_FIELDS = 20  # field errors in one answer: 80,000 unknown keys made a 17 MB answer


def error_response(
    status: int,
    error: str,
    detail: str,
    fields: Sequence[ErrorField] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A JSON error answer in the one shape every error has."""
    body = ErrorOut(error=error, detail=detail, fields=list(fields))
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app accepts on ``request``'s path, sorted.

    The table is built on the first 405 (every route is included by then) and kept on the app.
    """
    state = request.app.state
    table = getattr(state, "method_table", None)
    if table is None:
        table = state.method_table = method_table(request.app.routes)
    path = request.scope.get("path", "")
    root = request.scope.get("root_path", "")
    return allowed(table, path.removeprefix(root) if root else path)


def field_errors(errors: Sequence[Any]) -> list[ErrorField]:
    """Pydantic/FastAPI error dicts as :class:`ErrorField` entries (inputs are not echoed)."""
    fields = []
    for error in errors:
        loc = [
            part if isinstance(part, int) else str(part)[:MAX_LOC_PART]
            for part in error.get("loc", ())
        ]
        kind = str(error.get("type", "invalid"))
        message = str(error.get("msg", "invalid value"))
        if kind == "extra_forbidden":
            message = "unknown field (check the spelling; unknown fields are not ignored)"
        elif kind == "missing":
            message = "required field is missing"
        elif kind == "json_invalid":
            at = f" (at character {loc[-1]})" if loc and isinstance(loc[-1], int) else ""
            message = f"the body is not valid JSON{at}"
        fields.append(ErrorField(loc=loc, message=message[:MAX_MESSAGE], type=kind))
    return fields


def describe(fields: Sequence[ErrorField]) -> str:
    """One line per field: ``body.environment: String should match pattern ...``."""
    return "; ".join(f"{'.'.join(str(p) for p in f.loc)}: {f.message}" for f in fields)


async def _modelfleet_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ModelfleetError)
    status = exc.http_status
    if status >= 500:
        log.error("%s: %s", exc.headline, exc.message)
    return error_response(status, exc.headline, exc.message)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    fields = field_errors(errors[:MAX_FIELDS])
    detail = describe(fields)
    if len(errors) > MAX_FIELDS:
        detail += f"; and {len(errors) - MAX_FIELDS} more invalid fields"
    return error_response(422, INVALID_REQUEST, detail, fields)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.__cause__ is not None:
        # FastAPI's "There was an error parsing the body": the JSON could not be decoded.
        cause = exc.__cause__
        if isinstance(cause, UnicodeDecodeError):
            reason = "the body is not UTF-8 text"
        elif isinstance(cause, RecursionError):
            reason = "the body is nested too deeply"
        elif isinstance(cause, ValueError) and "digits" in str(cause):
            reason = "a number in the body has too many digits (at most 4300)"
        else:
            reason = "the body could not be decoded"
        fields = [ErrorField(loc=["body"], message=f"{reason}; send JSON", type="json_invalid")]
        return error_response(422, INVALID_REQUEST, describe(fields), fields)
    headers = dict(exc.headers or {})
    detail = str(exc.detail)
    if exc.status_code == 405:
        methods = ", ".join(allowed_methods(request))
        headers["Allow"] = methods
        detail = f"{request.method} is not accepted here; this path accepts {methods}"
    headline = {404: "not found", 405: "method not allowed", 413: TOO_LARGE}.get(
        exc.status_code, "http error"
    )
    return error_response(exc.status_code, headline, detail, headers=headers)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error while answering a request", exc_info=exc)
    return error_response(
        500, "internal error", "the server failed unexpectedly; its log has the details"
    )


def install(app: FastAPI) -> None:
    """Register the error handlers on ``app``."""
    app.add_exception_handler(ModelfleetError, _modelfleet_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
