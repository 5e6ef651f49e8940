"""Shared pieces of the JSON shapes: the base models, metric maps and the error body."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

from pydantic import BaseModel, ConfigDict, Field

from modelfleet.errors import (
    ConflictError,
    ModelfleetError,
    NotFoundError,
    StoreError,
    UsageError,
)

MAX_LIMIT = 10_000  # the most rows one request may ask for

# JSON has no NaN or infinity: a metric that is not a number travels as null and comes back NaN.
MetricMap = dict[str, float | None]


class Out(BaseModel):
    """Base of every response body; a client reading one ignores fields newer servers add."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class In(BaseModel):
    """Base of every request body: unknown fields are errors, values are not coerced silently."""

    model_config = ConfigDict(extra="forbid", strict=True, str_max_length=10_000)


def number_out(value: float) -> float | None:
    """A float as JSON can carry it: NaN and infinities become null."""
    return value if math.isfinite(value) else None


def number_in(value: float | None) -> float:
    """A float read back from JSON: null becomes NaN again."""
    return math.nan if value is None else float(value)


def metrics_out(values: Mapping[str, float]) -> MetricMap:
    """Metrics as JSON can carry them: NaN and infinities become null."""
    return {key: number_out(value) for key, value in values.items()}


def metrics_in(values: Mapping[str, float | None]) -> dict[str, float]:
    """Metrics read back from JSON: null becomes NaN again."""
    return {key: number_in(value) for key, value in values.items()}


class ErrorField(Out):
    """One invalid field of a request: where it is and what is wrong with it."""

    loc: list[str | int] = Field(description="path to the field: 'body', 'query' or 'path' first")
    message: str
    type: str


class ErrorOut(Out):
    """Every error answer: the error's headline, what to do, and for bad requests the fields."""

    error: str = Field(description="short headline, e.g. 'not found', 'invalid request'")
    detail: str = Field(description="a message a user can act on")
    fields: list[ErrorField] = Field(default_factory=list)


class HealthOut(Out):
    """``GET /healthz``: the server is up and can read its metadata store."""

    status: str
    version: str
    store: str = Field(description="metadata store backend: sqlite or postgresql")
    fleets: list[str] = Field(description="fleets whose promotion policy this server applies")


def _subclasses(cls: type[ModelfleetError]) -> Iterator[type[ModelfleetError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def error_class(status: int, headline: str) -> type[ModelfleetError]:
    """The ModelfleetError subclass with this status and headline, else the nearest by status."""
    candidates: list[type[ModelfleetError]] = [ModelfleetError, *_subclasses(ModelfleetError)]
    for cls in candidates:
        if cls.http_status == status and cls.headline == headline:
            return cls
    by_status: dict[int, type[ModelfleetError]] = {
        404: NotFoundError,
        409: ConflictError,
        422: UsageError,
        503: StoreError,
    }
    return by_status.get(status, ModelfleetError)
