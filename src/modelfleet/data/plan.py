"""Which sources feed which tenants, and which tenants are selected: decided before any read.

A tenant's *own* sources are those of ``spec.for_tenant(tenant)`` that differ from the fleet's
(a replaced file, changed options or an extra source). Own sources are read only for selected
tenants, so excluding a tenant never touches its files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from modelfleet.config.spec import ChecksSpec, FleetSpec, SchemaSpec, SourceSpec, ValidationSpec
from modelfleet.data.canonical import KEY_SEPARATOR
from modelfleet.errors import ConfigError
from modelfleet.quoting import excerpt
from modelfleet.tenant_ids import is_tenant_id, tenant_id_error


@dataclass(frozen=True)
class SourcePlan:
    """Shared sources, each selected tenant's own sources and the selection itself."""

    shared: tuple[SourceSpec, ...]
    own: Mapping[str, tuple[SourceSpec, ...]]  # tenant -> its own sources (selected tenants)
    key_values: Mapping[str, dict[str, str] | None]  # tenant -> key values filling its files
    broken: Mapping[str, str]  # tenant -> why its override cannot be used
    include: frozenset[str] | None  # None: every tenant found in the data
    exclude: frozenset[str]
    rules: Mapping[str, tuple[ChecksSpec, ValidationSpec]]  # tenants whose checks differ

    def selects(self, tenant: str) -> bool:
        """Whether a tenant is selected by tenants.include / tenants.exclude."""
        if tenant in self.exclude:
            return False
        return self.include is None or tenant in self.include


def required_columns(source: SourceSpec, schema: SchemaSpec) -> tuple[str, ...]:
    """Canonical columns a source must provide for its kind.

    A static or covariates source without ``join_on`` joins on the key columns it has, so only
    the covariates' timestamp is required up front; :func:`source_keys` checks the rest.
    """
    if source.kind == "observations":
        return (*schema.tenant_key, schema.timestamp, schema.target)
    if source.join_on:
        return source.join_on
    return (schema.timestamp,) if source.kind == "covariates" else ()


def source_keys(source: SourceSpec, schema: SchemaSpec, present: Sequence[str]) -> tuple[str, ...]:
    """The columns a source's rows are keyed by: what it joins on (or, observations, its series).

    Default for a static source: the tenant key columns it has (a store file joins a
    (store, dept) fleet on store); for covariates: the timestamp plus those columns.
    """
    if source.kind == "observations":
        return (*schema.tenant_key, schema.timestamp)
    if source.join_on:
        return source.join_on
    have = tuple(k for k in schema.tenant_key if k in present)
    return have if source.kind == "static" else (schema.timestamp, *have)


def plan_sources(spec: FleetSpec) -> SourcePlan:
    """Resolve tenant selection and per-tenant sources and rules from the spec."""
    include = None if spec.tenants.include == "all" else frozenset(spec.tenants.include)
    exclude = frozenset(spec.tenants.exclude)
    shared = {s.name: s for s in spec.sources}
    own: dict[str, tuple[SourceSpec, ...]] = {}
    key_values: dict[str, dict[str, str] | None] = {}
    broken: dict[str, str] = {}
    rules: dict[str, tuple[ChecksSpec, ValidationSpec]] = {}
    for tenant, override in spec.tenants.overrides.items():
        if tenant in exclude or (include is not None and tenant not in include):
            continue
        try:
            tenant_spec = _tenant_spec(spec, tenant)
        except ConfigError as exc:
            broken[tenant] = f"tenant {tenant}: {exc.message}"
            continue
        if "checks" in override or "validation" in override:
            rules[tenant] = (tenant_spec.checks, tenant_spec.validation)
        if "sources" in override:
            own[tenant] = tuple(s for s in tenant_spec.sources if shared.get(s.name) != s)
            key_values[tenant] = spec.tenant_key_values(tenant)
    return SourcePlan(
        shared=spec.sources,
        own=own,
        key_values=key_values,
        broken=broken,
        include=include,
        exclude=exclude,
        rules=rules,
    )


def _tenant_spec(spec: FleetSpec, tenant: str) -> FleetSpec:
    if not is_tenant_id(tenant):
        raise ConfigError(tenant_id_error(tenant, "tenants.overrides"))
    values = spec.tenant_key_values(tenant)
    if values is not None:
        key = spec.data_schema.tenant_key
        missing = [k for k in key if k not in values]
        joined = KEY_SEPARATOR.join(values.get(k, "") for k in key)
        if missing or joined != tenant:
            raise ConfigError(
                f"tenants.overrides.{tenant}.key must give every key column {list(key)} so "
                f"that the values joined with '{KEY_SEPARATOR}' equal '{tenant}' "
                f"(got {excerpt(values, 120)})"
            )
    return spec.for_tenant(tenant)
