"""The blocks of a fleet spec: sources, schema, checks, features, model, tuning, gates, tenants.

Each block is a frozen pydantic model that forbids unknown keys, so a typo is an error that
names its field instead of a silently ignored setting. :mod:`modelfleet.config.spec` assembles
them into a :class:`~modelfleet.config.spec.FleetSpec`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, field_validator, model_validator

# The shared foundations and the model-facing blocks live in their own modules; they are
# re-exported here so ``from modelfleet.config.blocks import ...`` keeps working everywhere.
from modelfleet.config.base import PERIOD_DAYS as PERIOD_DAYS
from modelfleet.config.base import CalendarFeature as CalendarFeature
from modelfleet.config.base import ColumnType as ColumnType
from modelfleet.config.base import Frequency as Frequency
from modelfleet.config.base import RollingStat as RollingStat
from modelfleet.config.base import Strict as Strict
from modelfleet.config.base import Task as Task
from modelfleet.config.model_blocks import FeaturesSpec as FeaturesSpec
from modelfleet.config.model_blocks import ModelSpec as ModelSpec
from modelfleet.config.model_blocks import RollingSpec as RollingSpec
from modelfleet.config.model_blocks import ValidationSpec as ValidationSpec
from modelfleet.tenant_ids import is_tenant_id, tenant_id_error

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# Canonical names start with a letter: names starting with "_" are modelfleet's own columns.
_COLUMN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")


def _check_column(name: str) -> str:
    if not _COLUMN.match(name):
        raise ValueError(
            f"{name!r} is not a usable column name: use letters, digits and underscores, "
            "starting with a letter"
        )
    return name


def _check_tenant(tenant: str) -> str:
    if not is_tenant_id(tenant):
        raise ValueError(tenant_id_error(tenant) + " (multi-column keys join with '-')")
    return tenant


class CsvOptions(Strict):
    """How to parse a delimited text file."""

    delimiter: str = ","
    decimal: Literal[".", ","] = "."
    encoding: str = "utf-8"
    date_format: str | None = Field(
        default=None, description="strptime format, e.g. '%d.%m.%Y'; ISO dates need none"
    )
    header: bool = True
    quote: str = '"'
    null_values: tuple[str, ...] = ("", "NA", "N/A", "null", "NULL", "NaN")

    @field_validator("delimiter", "quote")
    @classmethod
    def _one_character(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError(f"must be exactly one character, got {value!r}")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(
                f"unknown text encoding {value!r} (try utf-8, latin-1, cp1252)"
            ) from None
        return value


AggregateRule = Literal["sum", "mean", "min", "max", "count", "any", "all", "first", "last"]
AggregatePeriod = Literal["D", "W-MON", "W-TUE", "W-WED", "W-THU", "W-FRI", "W-SAT", "W-SUN"]
AGGREGATE_RULES: tuple[str, ...] = get_args(AggregateRule)


class AggregateSpec(Strict):
    """How a source's rows roll up to one row per tenant key (and period), done in DuckDB.

    ``period`` first buckets timestamps into days (``D``) or weeks ending on a weekday
    (``W-FRI``: the bucket is labelled with its Friday); left out, timestamps stay as they are.
    ``columns`` gives every non-key column of the source its rule.
    """

    period: AggregatePeriod | None = Field(
        default=None, description="D, or W-MON..W-SUN (weeks ending that weekday)"
    )
    columns: dict[str, AggregateRule] = Field(
        default_factory=dict, description="canonical column -> sum, mean, min, max, count, ..."
    )
    partial_periods: Literal["drop", "keep"] = Field(
        default="drop", description="incomplete first/last weeks of a tenant: drop or keep"
    )

    @field_validator("columns")
    @classmethod
    def _canonical_names(cls, value: dict[str, str]) -> dict[str, str]:
        for canonical in value:
            _check_column(canonical)
        return value


class SourceSpec(Strict):
    """One table of input data: a file (CSV, Parquet) or a SQL query, and its column mapping.

    ``kind`` says how it joins: ``observations`` rows carry tenant key, timestamp and target;
    ``static`` rows carry per-tenant attributes joined on the tenant key columns the source has;
    ``covariates`` rows are time-varying (calendar, prices) joined on the timestamp plus the tenant
    key columns the source has. ``join_on`` names the join columns explicitly; ``aggregate``
    rolls rows up before anything else sees them.
    """

    name: str
    kind: Literal["observations", "static", "covariates"] = "observations"
    path: str | None = None
    url: str | None = Field(default=None, description="SQLAlchemy URL for SQL sources")
    query: str | None = None
    format: Literal["csv", "parquet", "sql"] | None = None
    csv: CsvOptions = CsvOptions()
    columns: dict[str, str] = Field(
        default_factory=dict, description="canonical column name -> column name in this source"
    )
    join_on: tuple[str, ...] | None = None
    aggregate: AggregateSpec | None = None

    @model_validator(mode="after")
    def _location(self) -> SourceSpec:
        if self.path is None and self.url is None:
            raise ValueError(
                "give either 'path' (a CSV or Parquet file) or 'url' with 'query' (SQL)"
            )
        if self.path is not None and self.url is not None:
            raise ValueError("give 'path' or 'url', not both")
        if self.url is not None and not self.query:
            raise ValueError("a SQL source ('url') needs a 'query'")
        if self.format == "sql" and self.url is None:
            raise ValueError("format 'sql' needs 'url' and 'query'")
        if self.kind == "static" and self.aggregate is not None and self.aggregate.period:
            raise ValueError(
                "aggregate.period buckets timestamps, and a static source has none: remove "
                "the period (rows still roll up per join key)"
            )
        return self

    @field_validator("columns")
    @classmethod
    def _canonical_names(cls, value: dict[str, str]) -> dict[str, str]:
        for canonical in value:
            _check_column(canonical)
        return value

    @property
    def resolved_format(self) -> Literal["csv", "parquet", "sql"]:
        """The explicit format, else inferred from the URL or file suffix."""
        if self.format is not None:
            return self.format
        if self.url is not None:
            return "sql"
        suffixes = [s.lower() for s in Path(self.path or "").suffixes]
        if ".parquet" in suffixes or ".pq" in suffixes:
            return "parquet"
        return "csv"


class SchemaSpec(Strict):
    """The fleet's canonical schema: every source is mapped and coerced into it."""

    tenant_key: tuple[str, ...]
    timestamp: str
    target: str
    frequency: Frequency | None = Field(
        default=None, description="D (daily) or W (weekly); inferred from the data when unset"
    )
    columns: dict[str, ColumnType] = Field(
        default_factory=dict, description="other canonical columns and their types"
    )

    @field_validator("tenant_key", mode="before")
    @classmethod
    def _key_list(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("tenant_key")
    @classmethod
    def _key_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("name at least one tenant key column")
        return tuple(_check_column(v) for v in value)

    @field_validator("timestamp", "target")
    @classmethod
    def _column_name(cls, value: str) -> str:
        return _check_column(value)

    @field_validator("columns")
    @classmethod
    def _column_names(cls, value: dict[str, ColumnType]) -> dict[str, ColumnType]:
        for name in value:
            _check_column(name)
        return value

    @property
    def all_columns(self) -> tuple[str, ...]:
        """Key, timestamp, target and declared columns, in that order."""
        return (*self.tenant_key, self.timestamp, self.target, *self.columns)


class RangeCheck(Strict):
    """Allowed value range of a column; values outside are a finding."""

    min: float | None = None
    max: float | None = None
    severity: Literal["error", "warning"] = "error"


class ChecksSpec(Strict):
    """Data checks beyond the built-in ones (required columns, types, nulls, duplicates...)."""

    ranges: dict[str, RangeCheck] = Field(default_factory=dict)
    nullable: tuple[str, ...] = Field(
        default=(), description="declared columns that may contain nulls without a warning"
    )
    future_timestamps: Literal["error", "warning", "allow"] = "error"


class BaselineSpec(Strict):
    """The naive model every candidate must beat; chosen from the task when unset."""

    family: Literal["seasonal_naive", "mean", "prior"] | None = None
    season: Annotated[int, Field(ge=1, le=366)] = 7


class ParamRangeSpec(Strict):
    """A tuning search range for one model parameter."""

    low: float | None = None
    high: float | None = None
    log: bool = False
    kind: Literal["int", "float", "categorical"] = "float"
    choices: tuple[str | int | float | bool, ...] = ()

    @model_validator(mode="after")
    def _bounds(self) -> ParamRangeSpec:
        if self.kind == "categorical":
            if not self.choices:
                raise ValueError("a categorical range needs 'choices'")
        elif self.low is None or self.high is None or self.low > self.high:
            raise ValueError("needs 'low' <= 'high'")
        return self


class TuningSpec(Strict):
    """Optional Optuna search per tenant, bounded by trials and seconds."""

    enabled: bool = False
    trials: Annotated[int, Field(ge=1, le=10_000)] = 20
    timeout_seconds: Annotated[float, Field(gt=0)] | None = 60.0
    metric: str | None = None
    space: dict[str, ParamRangeSpec] = Field(default_factory=dict)
    seed: int = 0


class LimitsSpec(Strict):
    """Caps on one tenant's training, enforced by the process executor: past one, the tenant
    fails alone (its worker is ended) and the fleet goes on. ``memory_mb`` is the worker's
    resident memory while it trains the tenant (including the ~200 MB a worker needs anyway);
    ``seconds`` is wall-clock time for the whole tenant (baseline, tuning, fit, save).
    """

    memory_mb: Annotated[float, Field(gt=0)] | None = None
    seconds: Annotated[float, Field(gt=0)] | None = None


class GatesSpec(Strict):
    """The quality gate: beat the baseline on ``metric`` by ``min_improvement`` (relative)."""

    metric: str | None = None
    min_improvement: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.0


class TenantsSpec(Strict):
    """Which tenants train, and per-tenant overrides (deep-merged over the fleet spec)."""

    include: Literal["all"] | tuple[str, ...] = "all"
    exclude: tuple[str, ...] = ()
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("include", "exclude")
    @classmethod
    def _tenant_ids(cls, value: Any) -> Any:
        if isinstance(value, tuple):
            for tenant in value:
                _check_tenant(tenant)
        return value

    @field_validator("overrides")
    @classmethod
    def _override_ids(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for tenant in value:
            _check_tenant(tenant)
        return value


class StepSpec(Strict):
    """What a version must show to enter one environment: gates and/or a human approval."""

    min_improvement: Annotated[float, Field(ge=-1.0, le=1.0)] | None = Field(
        default=None, description="beat its own baseline by this fraction (0.05 = 5%)"
    )
    max_regression: Annotated[float, Field(ge=0.0, le=1.0)] | None = Field(
        default=None,
        description="be at most this fraction worse than the version now in the environment, "
        "scored on the same holdout",
    )
    approval: bool = Field(default=False, description="needs `modelfleet approve` first")
    four_eyes: bool = Field(
        default=False,
        description="with approval: an approval by whoever registered the version does not count",
    )


class PromotionSpec(Strict):
    """How versions move between environments: their order, skipping, and per-step rules."""

    order: tuple[str, ...] | None = Field(
        default=None, description="environments from first to last; default: as declared"
    )
    allow_skip: bool = False
    steps: dict[str, StepSpec] = Field(
        default_factory=dict, description="environment name -> the rule for entering it"
    )

    @field_validator("order")
    @classmethod
    def _unique_order(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None:
            if not value:
                raise ValueError("name at least one environment, or leave 'order' out")
            repeated = sorted({name for name in value if value.count(name) > 1})
            if repeated:
                raise ValueError(f"environments may appear once; repeated: {repeated}")
        return value
