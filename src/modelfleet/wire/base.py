"""Shared pieces of the JSON shapes: the base models, metric maps and the error body."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from modelfleet.errors import (
    AuthenticationError,
    ConflictError,
    ModelfleetError,
    NotFoundError,
    PermissionDeniedError,
    StoreError,
    UsageError,
)

MAX_LIMIT = 10_000  # the most rows one request may ask for

R = TypeVar("R")


def number_out(value: Any) -> Any:
    """A float as JSON can carry it: NaN and infinities become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def text_out(value: Any) -> Any:
    """A version (or any value with a text form) as its text; None and text pass through."""
    return value if value is None or isinstance(value, str) else str(value)


# JSON has no NaN or infinity: a metric that is not a number travels as null and comes back NaN.
Number = Annotated[float | None, BeforeValidator(number_out)]
MetricMap = dict[str, Number]
# Semantic versions travel as text ("1.2.0").
VersionText = Annotated[str, BeforeValidator(text_out)]


class Out(BaseModel):
    """Base of every response body; a client reading one ignores fields newer servers add.

    ``Shape.of(record)`` reads a domain record's attributes (derived, not field by field).
    """

    model_config = ConfigDict(extra="ignore", frozen=True, from_attributes=True)

    @classmethod
    def of(cls, record: object) -> Self:
        """The JSON shape of a domain record, read from its attributes."""
        return cls.model_validate(record)


class RecordOut(Out, Generic[R]):
    """A response shape that is one domain record: converts both ways, derived from fields."""

    record_type: ClassVar[type[Any]]

    def record(self) -> R:
        """The domain record this shape carries (nested records, versions and NaN rebuilt)."""
        from modelfleet.wire.derive import record_from

        built: R = record_from(self.record_type, self.model_dump())
        return built


class In(BaseModel):
    """Base of every request body: unknown fields are errors, values are not coerced silently."""

    model_config = ConfigDict(extra="forbid", strict=True, str_max_length=10_000)


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
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        409: ConflictError,
        422: UsageError,
        503: StoreError,
    }
    return by_status.get(status, ModelfleetError)
