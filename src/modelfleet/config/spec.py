"""The fleet spec: one ``fleet.yaml`` that declares a use case for every tenant.

Loading is pure apart from reading the file: YAML is parsed, the chosen environment's overlay is
deep-merged on top, relative paths are resolved against the spec's folder, and pydantic validates
the result with unknown keys forbidden. Each tenant override is merged and validated at load time
too, so a typo in one tenant's block fails ``modelfleet validate`` instead of a training run.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from modelfleet.errors import ConfigError

Task = Literal["regression", "binary_classification"]
ColumnType = Literal["int", "float", "str", "bool", "date", "timestamp"]
Frequency = Literal["D", "W"]
CalendarFeature = Literal[
    "dayofweek", "day", "month", "weekofyear", "dayofyear", "year", "quarter", "is_weekend"
]
RollingStat = Literal["mean", "std", "min", "max", "sum"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# Canonical names start with a letter: names starting with "_" are modelfleet's own columns.
_COLUMN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")


class _Strict(BaseModel):
    """Base for every spec block: unknown keys are errors, values are not coerced silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _check_column(name: str) -> str:
    if not _COLUMN.match(name):
        raise ValueError(
            f"{name!r} is not a usable column name: use letters, digits and underscores, "
            "starting with a letter"
        )
    return name


class CsvOptions(_Strict):
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


class SourceSpec(_Strict):
    """One table of input data: a file (CSV, Parquet) or a SQL query, and its column mapping.

    ``kind`` says how it joins: ``observations`` rows carry tenant key, timestamp and target;
    ``static`` rows carry per-tenant attributes joined by the tenant key; ``covariates`` rows are
    time-varying (calendar, prices) joined on ``join_on`` (default: the timestamp).
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


class SchemaSpec(_Strict):
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


class RangeCheck(_Strict):
    """Allowed value range of a column; values outside are a finding."""

    min: float | None = None
    max: float | None = None
    severity: Literal["error", "warning"] = "error"


class ChecksSpec(_Strict):
    """Data checks beyond the built-in ones (required columns, types, nulls, duplicates...)."""

    ranges: dict[str, RangeCheck] = Field(default_factory=dict)
    nullable: tuple[str, ...] = Field(
        default=(), description="declared columns that may contain nulls without a warning"
    )
    future_timestamps: Literal["error", "warning", "allow"] = "error"


class RollingSpec(_Strict):
    """A rolling statistic of the target over ``window`` periods, ending ``horizon`` before."""

    window: Annotated[int, Field(ge=2, le=3660)]
    stats: tuple[RollingStat, ...] = ("mean",)


class FeaturesSpec(_Strict):
    """Features built for every tenant; target-derived ones never look past the forecast origin."""

    lags: tuple[Annotated[int, Field(ge=1, le=3660)], ...] = ()
    rolling: tuple[RollingSpec, ...] = ()
    calendar: tuple[CalendarFeature, ...] = ("dayofweek", "month", "dayofyear")
    covariates: tuple[str, ...] = Field(
        default=(), description="canonical columns known ahead of time, used as they are"
    )
    categorical: tuple[str, ...] = Field(
        default=(), description="covariates to encode as categories"
    )

    @model_validator(mode="after")
    def _categorical_subset(self) -> FeaturesSpec:
        unknown = sorted(set(self.categorical) - set(self.covariates))
        if unknown:
            raise ValueError(f"categorical {unknown} must also be listed in 'covariates'")
        return self


class ModelSpec(_Strict):
    """The model family and its parameters."""

    family: str = "lightgbm"
    params: dict[str, Any] = Field(default_factory=dict)


class BaselineSpec(_Strict):
    """The naive model every candidate must beat; chosen from the task when unset."""

    family: Literal["seasonal_naive", "mean", "prior"] | None = None
    season: Annotated[int, Field(ge=1, le=366)] = 7


class ValidationSpec(_Strict):
    """The time-based holdout: the last ``horizon`` periods of each tenant."""

    horizon: Annotated[int, Field(ge=1, le=3660)] = 28
    min_train_periods: Annotated[int, Field(ge=1)] = 56


class ParamRangeSpec(_Strict):
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


class TuningSpec(_Strict):
    """Optional Optuna search per tenant, bounded by trials and seconds."""

    enabled: bool = False
    trials: Annotated[int, Field(ge=1, le=10_000)] = 20
    timeout_seconds: Annotated[float, Field(gt=0)] | None = 60.0
    metric: str | None = None
    space: dict[str, ParamRangeSpec] = Field(default_factory=dict)
    seed: int = 0


class GatesSpec(_Strict):
    """The quality gate: beat the baseline on ``metric`` by ``min_improvement`` (relative)."""

    metric: str | None = None
    min_improvement: Annotated[float, Field(ge=-1.0, le=1.0)] = 0.0


class TenantsSpec(_Strict):
    """Which tenants train, and per-tenant overrides (deep-merged over the fleet spec)."""

    include: Literal["all"] | tuple[str, ...] = "all"
    exclude: tuple[str, ...] = ()
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)


DEFAULT_ENVIRONMENTS = ("dev", "staging", "prod")
OVERRIDABLE = frozenset(
    {"sources", "features", "model", "baseline", "validation", "tuning", "gates", "checks"}
)
ENVIRONMENT_KEYS = OVERRIDABLE | {"tenants"}


class FleetSpec(_Strict):
    """A validated fleet: one use case declared once for all its tenants."""

    name: str
    description: str = ""
    task: Task = "regression"
    data_schema: SchemaSpec = Field(alias="schema")
    sources: tuple[SourceSpec, ...]
    checks: ChecksSpec = ChecksSpec()
    features: FeaturesSpec = FeaturesSpec()
    model: ModelSpec = ModelSpec()
    baseline: BaselineSpec = BaselineSpec()
    validation: ValidationSpec = ValidationSpec()
    tuning: TuningSpec = TuningSpec()
    gates: GatesSpec = GatesSpec()
    environments: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: {name: dict[str, Any]() for name in DEFAULT_ENVIRONMENTS}
    )
    tenants: TenantsSpec = TenantsSpec()
    environment: str | None = Field(default=None, description="set by the loader")
    base_dir: str = Field(default=".", description="set by the loader: the spec file's folder")

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("use letters, digits, '.', '_' or '-' (no spaces or slashes)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FleetSpec:
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {dupes}")
        if not any(s.kind == "observations" for s in self.sources):
            raise ValueError("sources: at least one source must be of kind 'observations'")
        schema = self.data_schema
        known = set(schema.all_columns)
        missing = sorted(set(self.features.covariates) - known)
        if missing:
            raise ValueError(
                f"features.covariates {missing} are not in schema.columns; "
                "declare their types there"
            )
        for column in self.checks.ranges:
            if column not in known:
                raise ValueError(f"checks.ranges.{column} is not a column of the schema")
        horizon = self.validation.horizon
        short = [lag for lag in self.features.lags if lag < horizon]
        if short:
            raise ValueError(
                f"features.lags {short} are shorter than validation.horizon={horizon}: at the "
                "forecast origin those target values are not known yet (leakage). Use lags >= "
                "the horizon"
            )
        for env, overlay in self.environments.items():
            if not _NAME.match(env):
                raise ValueError(f"environments: {env!r} is not a valid environment name")
            extra = sorted(set(overlay or {}) - ENVIRONMENT_KEYS)
            if extra:
                raise ValueError(
                    f"environments.{env}: {extra} cannot vary by environment; allowed: "
                    f"{sorted(ENVIRONMENT_KEYS)}"
                )
        for tenant, override in self.tenants.overrides.items():
            extra = sorted(set(override or {}) - OVERRIDABLE - {"key"})
            if extra:
                raise ValueError(
                    f"tenants.overrides.{tenant}: {extra} cannot be overridden per tenant; "
                    f"allowed: {sorted(OVERRIDABLE | {'key'})}"
                )
        return self

    # ----------------------------------------------------------------- derived views
    @property
    def gate_metric(self) -> str:
        """The metric the gate compares: set explicitly, else the task's default."""
        if self.gates.metric:
            return self.gates.metric
        return "wmape" if self.task == "regression" else "log_loss"

    @property
    def baseline_family(self) -> str:
        """The baseline family: set explicitly, else seasonal-naive or prior by task."""
        if self.baseline.family:
            return self.baseline.family
        return "seasonal_naive" if self.task == "regression" else "prior"

    def source_path(self, source: SourceSpec) -> Path:
        """A file source's path, relative paths resolved against the spec's folder."""
        path = Path(source.path or "").expanduser()
        return path if path.is_absolute() else Path(self.base_dir) / path

    def tenant_override_names(self) -> tuple[str, ...]:
        """Tenants that have an override block."""
        return tuple(self.tenants.overrides)

    def for_tenant(self, tenant: str) -> FleetSpec:
        """The spec one tenant trains with: the fleet spec with its override merged in."""
        override = self.tenants.overrides.get(tenant)
        if not override:
            return self
        body = {k: v for k, v in override.items() if k != "key"}
        return _validate(
            _merge_override(self.model_dump(by_alias=True, mode="json"), body),
            origin=f"tenants.overrides.{tenant}",
            file_label=self.base_dir,
        )

    def tenant_key_values(self, tenant: str) -> dict[str, str] | None:
        """Key column values declared for a tenant that has sources of its own."""
        override = self.tenants.overrides.get(tenant) or {}
        key = override.get("key")
        if key is None:
            if len(self.data_schema.tenant_key) == 1:
                return {self.data_schema.tenant_key[0]: tenant}
            return None
        return {str(k): str(v) for k, v in key.items()}

    def config_hash(self) -> str:
        """A stable hash of what affects training (not the description or file location)."""
        payload = self.model_dump(by_alias=True, mode="json", exclude={"description", "base_dir"})
        text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def _merge_override(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into ``base``; sources merge by name, other lists replace."""
    merged = dict(base)
    for key, value in override.items():
        if key == "sources" and isinstance(value, list):
            merged["sources"] = _merge_sources(base.get("sources", []), value)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge_override(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def _merge_sources(base: list[Any], override: list[Any]) -> list[Any]:
    by_name = {s.get("name"): s for s in base if isinstance(s, Mapping)}
    result = list(base)
    for source in override:
        if not isinstance(source, Mapping):
            result.append(source)
            continue
        name = source.get("name")
        if name in by_name:
            index = result.index(by_name[name])
            # A tenant's own file replaces the shared one wholesale: mapping, options and all.
            result[index] = (
                dict(source)
                if ("path" in source or "url" in source)
                else (_merge_override(dict(by_name[name]), source))
            )
        else:
            result.append(dict(source))
    return result


def _format_errors(exc: ValidationError, origin: str | None) -> str:
    lines = []
    for error in exc.errors():
        loc = ".".join(str(p) for p in error["loc"]) or "(top level)"
        if origin:
            loc = f"{origin}.{loc}"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; unknown keys are not ignored)"
        elif error["type"] == "missing":
            message = "required field is missing"
        lines.append(f"  - {loc}: {message}")
    return "\n".join(lines)


def _validate(data: Mapping[str, Any], *, origin: str | None, file_label: str) -> FleetSpec:
    try:
        return FleetSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            f"{file_label}: invalid fleet spec\n{_format_errors(exc, origin)}"
        ) from None


def parse_spec(
    data: Any, *, environment: str | None = None, base_dir: Path, file_label: str
) -> FleetSpec:
    """Validate an already-parsed spec mapping, applying one environment overlay."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{file_label}: a fleet spec must be a YAML mapping at the top level")
    raw = dict(data)
    raw.pop("environment", None)
    raw["base_dir"] = str(base_dir)
    spec = _validate(raw, origin=None, file_label=file_label)
    if environment is not None:
        if environment not in spec.environments:
            raise ConfigError(
                f"{file_label}: environment {environment!r} is not declared; "
                f"choose one of {sorted(spec.environments)}"
            )
        overlay = spec.environments[environment] or {}
        merged = _merge_override(raw, overlay)
        merged["environment"] = environment
        spec = _validate(merged, origin=f"environments.{environment}", file_label=file_label)
    for tenant in spec.tenants.overrides:
        spec.for_tenant(tenant)  # fail now, not mid-run, on a bad override
    return spec


def load_spec(path: Path | str, environment: str | None = None) -> FleetSpec:
    """Read, overlay and validate a ``fleet.yaml``; errors name the file and field path."""
    spec_path = Path(path).expanduser()
    if not spec_path.is_file():
        raise ConfigError(f"{spec_path}: no such fleet spec file")
    try:
        text = spec_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{spec_path}: cannot read the fleet spec ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{spec_path}: not valid YAML{where}: {problem}") from None
    return parse_spec(
        data,
        environment=environment,
        base_dir=spec_path.resolve().parent,
        file_label=str(spec_path),
    )
