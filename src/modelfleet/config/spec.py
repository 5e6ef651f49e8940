"""The fleet spec: one ``fleet.yaml`` that declares a use case for every tenant.

Loading is pure apart from reading the file: YAML is parsed, the chosen environment's overlay is
deep-merged on top, relative paths are resolved against the spec's folder, and pydantic validates
the result with unknown keys forbidden. Each tenant override is merged and validated at load time
too, so a typo in one tenant's block fails ``modelfleet validate`` instead of a training run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from modelfleet.config.blocks import (
    NAME_PATTERN,
    BaselineSpec,
    CalendarFeature,
    ChecksSpec,
    ColumnType,
    CsvOptions,
    FeaturesSpec,
    Frequency,
    GatesSpec,
    LimitsSpec,
    ModelSpec,
    ParamRangeSpec,
    PromotionSpec,
    RangeCheck,
    RollingSpec,
    RollingStat,
    SchemaSpec,
    SourceSpec,
    StepSpec,
    Strict,
    Task,
    TenantsSpec,
    TuningSpec,
    ValidationSpec,
)
from modelfleet.config.feature_blocks import (
    FeatureSpec,
    FeatureViewSpec,
    FileSourceSpec,
    LagSpec,
    OnDemandFeatureSpec,
    RollingWindowSpec,
)
from modelfleet.config.monitoring_blocks import MonitoringSpec
from modelfleet.config.pii_blocks import PiiSpec, check_pii
from modelfleet.config.serving_blocks import ServingSpec
from modelfleet.config.spec_errors import format_errors, repeated
from modelfleet.config.yaml_reader import read_yaml
from modelfleet.errors import ConfigError
from modelfleet.quoting import excerpt, name_list

__all__ = [
    "BaselineSpec",
    "CalendarFeature",
    "ChecksSpec",
    "ColumnType",
    "CsvOptions",
    "FeatureSpec",
    "FeatureViewSpec",
    "FeaturesSpec",
    "FileSourceSpec",
    "FleetSpec",
    "Frequency",
    "GatesSpec",
    "LagSpec",
    "LimitsSpec",
    "ModelSpec",
    "OnDemandFeatureSpec",
    "ParamRangeSpec",
    "PromotionSpec",
    "RangeCheck",
    "RollingSpec",
    "RollingStat",
    "RollingWindowSpec",
    "SchemaSpec",
    "SourceSpec",
    "StepSpec",
    "Task",
    "TenantsSpec",
    "TuningSpec",
    "ValidationSpec",
    "load_spec",
    "parse_spec",
]
DEFAULT_ENVIRONMENTS = ("dev", "staging", "prod")
OVERRIDABLE = frozenset(
    {
        "sources",
        "features",
        "model",
        "baseline",
        "validation",
        "tuning",
        "gates",
        "checks",
        "limits",
    }
)
# Routing and monitoring vary by environment (a canary in prod only), not by tenant: they are
# read per fleet.
ENVIRONMENT_KEYS = OVERRIDABLE | {"tenants", "serving", "monitoring"}


class FleetSpec(Strict):
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
    limits: LimitsSpec = LimitsSpec()
    environments: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: {name: dict[str, Any]() for name in DEFAULT_ENVIRONMENTS}
    )
    tenants: TenantsSpec = TenantsSpec()
    promotion: PromotionSpec = PromotionSpec()
    serving: ServingSpec = ServingSpec()
    monitoring: MonitoringSpec = MonitoringSpec()
    pii: PiiSpec = PiiSpec()
    feature_views: tuple[FeatureViewSpec, ...] = ()
    on_demand_features: tuple[OnDemandFeatureSpec, ...] = ()
    environment: str | None = Field(default=None, description="set by the loader")
    base_dir: str = Field(default=".", description="set by the loader: the spec file's folder")

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not NAME_PATTERN.fullmatch(value):
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
            if not NAME_PATTERN.fullmatch(env):
                raise ValueError(f"environments: {excerpt(env)} is not a valid environment name")
            extra = sorted(set(overlay or {}) - ENVIRONMENT_KEYS)
            if extra:
                raise ValueError(
                    f"environments.{env}: {name_list(extra)} cannot vary by environment; allowed: "
                    f"{sorted(ENVIRONMENT_KEYS)}"
                )
        self._check_promotion()
        self._check_feature_views()
        joins = [c for s in self.sources for c in s.join_on or ()]
        check_pii(
            self.pii,
            tenant_key=schema.tenant_key,
            columns=schema.columns,
            covariates=self.features.covariates,
            join_on=joins,
        )
        for tenant, override in self.tenants.overrides.items():
            extra = sorted(set(override or {}) - OVERRIDABLE - {"key"})
            if extra:
                raise ValueError(
                    f"tenants.overrides.{excerpt(tenant, quoted=False)}: {name_list(extra)} cannot "
                    "be overridden per tenant; "
                    f"allowed: {sorted(OVERRIDABLE | {'key'})}"
                )
        return self

    def _check_promotion(self) -> None:
        """Every environment the promotion block names must be declared in ``environments``."""
        declared = set(self.environments)
        for field_name, names in (
            ("order", self.promotion.order or ()),
            ("steps", tuple(self.promotion.steps)),
        ):
            unknown = sorted(set(names) - declared)
            if unknown:
                raise ValueError(
                    f"promotion.{field_name}: {name_list(unknown)} are not declared environments; "
                    f"declare them under 'environments' or use one of {sorted(declared)}"
                )

    def _check_feature_views(self) -> None:
        """View names are unique and ``features.views`` names features that exist."""
        names = [v.name for v in self.feature_views]
        dupes = repeated(names)
        if dupes:
            raise ValueError(f"feature_views: names must be unique; repeated: {dupes}")
        demand = [f.name for f in self.on_demand_features]
        dupes = repeated(demand)
        if dupes:
            raise ValueError(f"on_demand_features: names must be unique; repeated: {dupes}")
        views = {v.name: v for v in self.feature_views}
        for ref in self.features.views:
            view_name, _, feature = ref.partition(":")
            view = views.get(view_name)
            if view is None:
                raise ValueError(
                    f"features.views: {excerpt(ref)} names view {excerpt(view_name)}, which is "
                    f"not declared under feature_views (declared: {name_list(sorted(views))})"
                )
            if feature != "*" and feature not in view.feature_names:
                raise ValueError(
                    f"features.views: view {excerpt(view_name)} has no feature "
                    f"{excerpt(feature)} (it has {name_list(view.feature_names)}); write "
                    "'view:feature' or 'view:*'"
                )

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
        """A stable hash of the whole spec as loaded (not the description or file location)."""
        return _hash(self.model_dump(by_alias=True, mode="json", exclude=set(_NOT_CONFIG)))

    def training_hash(self) -> str:
        """A hash of what shapes one tenant's training, for a spec from :meth:`for_tenant`.

        Other environments' overlays and other tenants' overrides are left out: editing them
        must not retrain this tenant. The chosen overlay and this tenant's override are
        already merged into the fields that remain.
        """
        # limits change how a tenant may run, not the model it trains.
        exclude = _NOT_CONFIG | {
            "environments",
            "tenants",
            "feature_views",
            "on_demand_features",
            "limits",
            "serving",  # how requests are routed, not how models are trained
            "monitoring",  # how live models are watched, not how they are trained
        }
        body = self.model_dump(by_alias=True, mode="json", exclude=exclude)
        # Only the views training reads count, by their definition hash (not descriptions).
        used = {ref.partition(":")[0] for ref in self.features.views}
        body["feature_views"] = sorted(
            (v.name, v.version) for v in self.feature_views if v.name in used
        )
        return _hash(body)


_NOT_CONFIG: set[str] = {"description", "base_dir"}


def _hash(payload: Mapping[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _merge_override(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into ``base``; sources merge by name, other lists replace."""
    merged = dict(base)
    for key, value in override.items():
        if key == "sources" and isinstance(value, list):
            merged["sources"] = _merge_sources(base.get("sources", []), value)
        elif key == "model" and isinstance(value, Mapping) and _changes_family(base, value):
            # Another family's params mean nothing to this one: start from the override's.
            merged["model"] = dict(value)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge_override(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def _changes_family(base: Mapping[str, Any], model: Mapping[str, Any]) -> bool:
    current = base.get("model")
    family = current.get("family", "lightgbm") if isinstance(current, Mapping) else "lightgbm"
    return "family" in model and model["family"] != family


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


def _validate(data: Mapping[str, Any], *, origin: str | None, file_label: str) -> FleetSpec:
    try:
        return FleetSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            f"{file_label}: invalid fleet spec\n{format_errors(exc, origin)}"
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
                f"{file_label}: environment {excerpt(environment)} is not declared; "
                f"choose one of {name_list(sorted(spec.environments))}"
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
    data = read_yaml(spec_path)
    return parse_spec(
        data,
        environment=environment,
        base_dir=spec_path.resolve().parent,
        file_label=str(spec_path),
    )
