"""Request bodies of the scoring routes, parsed in one orjson pass.

The routes read the raw body and parse it here instead of letting FastAPI decode it with the
standard library's ``json`` and then validate a second copy: on a 100-record request that was
most of the body's cost. Errors keep the control plane's shape: a ``RequestValidationError``
whose fields sit under ``body``, answered as a 422 by :mod:`modelfleet.api.handlers`. orjson
refuses nesting deeper than 1,024 levels without recursing, so the server needs no separate
depth scan of scoring bodies.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

Body = TypeVar("Body", bound=BaseModel)


def parse_body(raw: bytes, model: type[Body]) -> Body:
    """``raw`` as ``model``; a RequestValidationError naming the field (or the JSON's fault)."""
    if not raw.strip():
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", exc.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": exc.msg},
                }
            ]
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        raise RequestValidationError([_under_body(e) for e in errors]) from None


def request_body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of a route that parses ``model`` itself."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


def _under_body(error: Any) -> dict[str, Any]:
    return {**error, "loc": ("body", *error["loc"])}
