"""The error answers every route may give, declared once so the OpenAPI document lists them.

Every error body is an :class:`~modelfleet.wire.ErrorOut` in JSON, whatever the route's own
content type (a model card answers Markdown or HTML, its errors answer JSON). ``APP_ERRORS``
go on the app (any request can be too large, too long, malformed, or meet a store that is
down); routers add the statuses of their own resources (``LOOKUP_ERRORS``, ``WRITE_ERRORS``).
"""

from __future__ import annotations

from typing import Any, Final

from modelfleet.wire import ErrorOut

ResponseTable = dict[int | str, dict[str, Any]]


def error_answer(description: str) -> dict[str, Any]:
    """One documented error status: an ErrorOut body in JSON, with what it means."""
    # "content" names application/json itself: with only "model", FastAPI would document the
    # error under the route's media type (text/plain for a route answering text).
    schema = {"$ref": "#/components/schemas/ErrorOut"}
    return {
        "model": ErrorOut,
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


APP_ERRORS: Final[ResponseTable] = {
    401: error_answer("with auth on: no valid token (missing, malformed, expired or revoked)"),
    403: error_answer("with auth on: the token's grants do not allow this action here"),
    413: error_answer("the request body is too large or nested too deeply"),
    414: error_answer("the URL or its query string is too long, or has too many parameters"),
    422: error_answer("the request does not fit its schema; one entry per offending field"),
    500: error_answer("the server failed unexpectedly; its log has the details"),
    503: error_answer("the metadata or artifact store is unavailable; retry later"),
}
LOOKUP_ERRORS: Final[ResponseTable] = {
    404: error_answer("no such model, version, alias, run or fleet"),
}
WRITE_ERRORS: Final[ResponseTable] = {
    **LOOKUP_ERRORS,
    409: error_answer("conflicts with the current state (the detail says what to do)"),
}
