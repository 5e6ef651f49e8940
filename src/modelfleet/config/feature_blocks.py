"""Feature view blocks of a fleet spec (``feature_views:`` and ``on_demand_features:``).

A feature view is one definition used twice: offline, for point-in-time correct training rows,
and online, for the latest values per entity at serving time. Its ``version`` is a hash of the
definition, so rows computed from different definitions never mix. The same pydantic models are
the Python API (:mod:`modelfleet.features` re-exports them), so YAML and code cannot drift.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, field_validator, model_validator

from modelfleet.config.blocks import CalendarFeature, Strict

RollingAgg = Literal["mean", "sum", "count", "min", "max", "std"]

_FEATURE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_VIEW_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
_DURATION = re.compile(r"^\s*(\d+)\s*(us|ms|s|m|h|d|w)\s*$")
# Whole microseconds per unit: integer arithmetic keeps long durations exact.
_UNIT_MICROS = {
    "us": 1,
    "ms": 1_000,
    "s": 1_000_000,
    "m": 60_000_000,
    "h": 3_600_000_000,
    "d": 86_400_000_000,
    "w": 604_800_000_000,
}


def parse_duration(value: object) -> timedelta:
    """A duration from ``"30d"``, ``"12h"``, ``"2w"``, ``"90s"`` or a timedelta; never negative."""
    if isinstance(value, timedelta):
        result = value
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(
                f"{value!r} is not a duration: write a whole number and a unit, e.g. '30d', "
                "'12h', '2w', '90s' (units: us, ms, s, m, h, d, w)"
            )
        amount, unit = int(match.group(1)), match.group(2)
        try:
            result = timedelta(microseconds=amount * _UNIT_MICROS[unit])
        except OverflowError:
            raise ValueError(f"duration {value!r} is too long") from None
    else:
        raise ValueError(f"{value!r} is not a duration: write it as text such as '30d'")
    if result < timedelta(0):
        raise ValueError(f"duration {value!r} must not be negative")
    return result


def format_duration(value: timedelta) -> str:
    """The shortest exact text for a duration (``timedelta(days=7)`` -> ``'1w'``)."""
    micros = value // timedelta(microseconds=1)
    for unit in ("w", "d", "h", "m", "s", "ms"):
        size = _UNIT_MICROS[unit]
        if micros % size == 0:
            return f"{micros // size}{unit}"
    return f"{micros}us"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]


def _identifier(value: str, what: str, pattern: re.Pattern[str]) -> str:
    if not pattern.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid {what}: use letters, digits and underscores, "
            "starting with a letter (it becomes a column name)"
        )
    return value


class LagSpec(Strict):
    """The value of ``column`` exactly ``by`` before the row's event time (null if absent)."""

    column: str
    by: Duration


class RollingWindowSpec(Strict):
    """An aggregate of ``column`` over the entity's own timeline: events in (t - window, t]."""

    column: str
    window: Duration
    agg: RollingAgg = "mean"

    @field_validator("window")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("a rolling window must be longer than zero")
        return value


class FeatureSpec(Strict):
    """One feature of a view: exactly one of a SQL expression, a lag, a rolling aggregate or a
    calendar part of the event time."""

    name: str
    expr: str | None = Field(default=None, description="DuckDB SQL over the source's columns")
    lag: LagSpec | None = None
    rolling: RollingWindowSpec | None = None
    calendar: CalendarFeature | None = None
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _identifier(value, "feature name", _FEATURE_NAME)

    @model_validator(mode="after")
    def _exactly_one(self) -> FeatureSpec:
        kinds = [k for k in ("expr", "lag", "rolling", "calendar") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                f"feature {self.name!r} must set exactly one of expr, lag, rolling or calendar "
                f"(it sets {kinds or 'none'})"
            )
        if self.expr is not None and not self.expr.strip():
            raise ValueError(f"feature {self.name!r}: expr is empty")
        return self

    @property
    def kind(self) -> str:
        """Which of expr, lag, rolling or calendar defines this feature."""
        for kind in ("expr", "lag", "rolling", "calendar"):
            if getattr(self, kind) is not None:
                return kind
        raise AssertionError("validated: exactly one kind is set")


class FileSourceSpec(Strict):
    """A Parquet or CSV file (or glob), read by DuckDB in a streaming scan."""

    path: str
    format: Literal["parquet", "csv"] | None = Field(
        default=None, description="inferred from the file suffix when omitted"
    )

    @property
    def file_format(self) -> Literal["parquet", "csv"]:
        """The declared format, else the one the suffix names."""
        if self.format:
            return self.format
        lowered = self.path.lower()
        if lowered.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
            return "csv"
        return "parquet"


class FeatureViewSpec(Strict):
    """Features of one entity (key columns) over time, with a time-to-live."""

    name: str
    entities: tuple[str, ...] = Field(min_length=1)
    timestamp: str
    source: str | FileSourceSpec = Field(
        default="fleet",
        description="'fleet' (the fleet's own data), a named in-memory table, or a file",
    )
    ttl: Duration | None = Field(
        default=None, description="values older than this at lookup time are null; none = keep"
    )
    created_timestamp: str | None = Field(
        default=None, description="breaks ties between rows of one entity and event time"
    )
    features: tuple[FeatureSpec, ...] = Field(min_length=1)
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _identifier(value, "feature view name", _VIEW_NAME)

    @model_validator(mode="after")
    def _consistent(self) -> FeatureViewSpec:
        names = [f.name for f in self.features]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"feature names must be unique within the view; repeated: {dupes}")
        reserved = set(self.entities) | {self.timestamp}
        clash = sorted(reserved & set(names))
        if clash:
            raise ValueError(
                f"features {clash} reuse the name of an entity or the timestamp column; rename them"
            )
        if len(set(self.entities)) != len(self.entities):
            raise ValueError(f"entities {list(self.entities)} repeat a column")
        return self

    @cached_property  # frozen model: the hash cannot change, and serving reads it per request
    def version(self) -> str:
        """A hash of everything that changes the values (not the descriptions)."""
        body = self.model_dump(mode="json", exclude={"description"})
        for feature in body["features"]:
            feature.pop("description", None)
        text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The view's feature names in declaration order."""
        return tuple(f.name for f in self.features)


class OnDemandFeatureSpec(Strict):
    """A feature computed at request time from request values and retrieved features (SQL)."""

    name: str
    expr: str
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _identifier(value, "on-demand feature name", _FEATURE_NAME)
