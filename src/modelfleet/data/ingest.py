"""Load a fleet's data: read every source once, map, select, join, validate and fingerprint.

Failures are isolated by ownership. A shared source that cannot be read or lacks a required column
raises :class:`SourceError` (no tenant can train). A tenant's own source failing, or its data
failing an error-level check, only puts that tenant in ``FleetData.failed``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.config.spec import ChecksSpec, FleetSpec, SchemaSpec, SourceSpec, ValidationSpec
from modelfleet.data.aggregate import aggregate_source
from modelfleet.data.canonical import TENANT_COLUMN, Finding, FleetData, canonical_types
from modelfleet.data.engine import connect, quote
from modelfleet.data.fingerprint import fingerprints
from modelfleet.data.frequency import (
    frequency_findings,
    infer_frequency,
    tenant_steps,
)
from modelfleet.data.joins import JoinPart, join_keys_of, join_source, no_join_key
from modelfleet.data.mapping import MappedSource, map_source
from modelfleet.data.observations import assemble
from modelfleet.data.pii import Scrubber
from modelfleet.data.plan import SourcePlan, plan_sources, required_columns, source_keys
from modelfleet.data.sources import RawSource, describe_source, read_source, source_identity
from modelfleet.data.summary import duplicate_summary
from modelfleet.data.validation import validate
from modelfleet.errors import ConfigError, SourceError

_SEVERITY_ORDER = {"error": 0, "warning": 1}


class _Reader:
    """Reads each distinct source (location + options) at most once per load."""

    def __init__(self, spec: FleetSpec) -> None:
        self._spec = spec
        self._cache: dict[tuple[str, ...], RawSource | SourceError] = {}
        self._scrubber = Scrubber.for_spec(spec)  # a bad key file fails the load up front

    def read(self, source: SourceSpec) -> RawSource:
        identity = source_identity(self._spec, source)
        if identity not in self._cache:
            try:
                self._cache[identity] = read_source(self._spec, source)
            except SourceError as exc:
                label = describe_source(self._spec, source)
                self._cache[identity] = self._scrubber.read_error(label, exc)
        cached = self._cache[identity]
        if isinstance(cached, SourceError):
            raise SourceError(cached.message)
        # Same file under another source name: cite it under this source's name. Personal
        # data is scrubbed before anything else sees the rows (mapping, findings, storage).
        return replace(
            cached,
            name=source.name,
            label=describe_source(self._spec, source),
            table=self._scrubber.table(cached.table, source),
        )


@dataclass(frozen=True, eq=False)
class _Joined:
    """Every source read, mapped and joined: the fleet's rows before any check."""

    table: pa.Table
    findings: list[Finding]
    failed: dict[str, str]
    plan: SourcePlan
    shared: Mapping[str, MappedSource]
    own: Mapping[str, Sequence[tuple[SourceSpec, MappedSource]]]
    origins: dict[str, str]


def _read_and_join(spec: FleetSpec) -> _Joined:
    """Read and map every source, assemble the observations, join static and covariates."""
    schema = spec.data_schema
    plan = plan_sources(spec)
    reader = _Reader(spec)
    failed: dict[str, str] = dict(plan.broken)
    findings = [_source_failure(t, m) for t, m in plan.broken.items()]

    shared = {s.name: _map(reader, s, schema) for s in plan.shared}  # failures raise
    own: dict[str, list[tuple[SourceSpec, MappedSource]]] = {}
    for tenant, sources in plan.own.items():
        try:
            own[tenant] = [
                (s, _map(reader, s, schema, plan.key_values.get(tenant), tenant)) for s in sources
            ]
        except (SourceError, ConfigError) as exc:
            failed[tenant] = f"tenant {tenant}: {exc.message}"
            findings.append(_source_failure(tenant, failed[tenant]))
    observations = assemble(
        [shared[s.name] for s in plan.shared if s.kind == "observations"],
        {
            t: [m for s, m in pairs if s.kind == "observations"]
            for t, pairs in own.items()
            if any(s.kind == "observations" for s, _ in pairs)
        },
        plan,
        schema,
        failed,
    )
    findings.extend(observations.findings)
    table, join_findings, origins = _join_all(
        observations.table, observations.columns, plan, shared, own, spec
    )
    findings.extend(join_findings)
    return _Joined(table, findings, failed, plan, shared, own, origins)


def read_joined_rows(spec: FleetSpec) -> tuple[pa.Table, dict[str, str]]:
    """The fleet's rows read, mapped and joined as training reads them, with no checks (rows
    to score need no history); tenants whose sources or cells fail, with the reason."""
    joined = _read_and_join(spec)
    present = set(pc.unique(joined.table[TENANT_COLUMN]).to_pylist())
    conversion, _ = _conversion_findings(joined.plan, joined.shared, joined.own, present)
    failed = dict(joined.failed)
    for finding in [*joined.findings, *conversion]:
        if finding.tenant is not None and finding.severity == "error":
            failed.setdefault(finding.tenant, finding.message)
    return joined.table, failed


def load_fleet_data(spec: FleetSpec, *, now: datetime | None = None) -> FleetData:
    """Read, map, join, select, validate and fingerprint the data of every selected tenant."""
    schema = spec.data_schema
    types = canonical_types(schema)
    moment = _naive(now)
    joined = _read_and_join(spec)
    table, findings, failed = joined.table, joined.findings, joined.failed
    plan, shared, own, origins = joined.plan, joined.shared, joined.own, joined.origins

    present = set(pc.unique(table[TENANT_COLUMN]).to_pylist())
    for tenant in sorted((plan.include or set()) - present - plan.exclude - set(failed)):
        failed[tenant] = _no_rows(tenant, schema)
        findings.append(_source_failure(tenant, failed[tenant]))
    conversion, bad_cells = _conversion_findings(plan, shared, own, present)
    findings.extend(conversion)

    scrubber = Scrubber(spec.pii.columns)  # the policies only: the rows were scrubbed as read
    steps = tenant_steps(table, schema.timestamp)
    trusted = {t: s for t, s in steps.items() if t not in failed}
    frequency = infer_frequency(trusted, schema.frequency)
    findings.extend(frequency_findings(steps, frequency, declared=schema.frequency is not None))
    for group, (checks, validation) in _rule_groups(spec, plan, present).items():
        findings.extend(
            validate(
                _only(table, group),
                schema=schema,
                checks=scrubber.nullable(checks),
                validation=validation,
                now=moment,
                bad_cells=bad_cells,
                origins=origins,
            )
        )

    summary = duplicate_summary(findings, schema, spec.sources, tenants=len(present))
    if summary is not None:
        findings.append(summary)
    errors: dict[str, list[str]] = defaultdict(list)
    for finding in findings:
        if finding.tenant is not None and finding.severity == "error":
            errors[finding.tenant].append(finding.message)
    for tenant, messages in errors.items():
        failed.setdefault(tenant, _summary(messages))
    usable = tuple(sorted(present - set(failed)))
    canonical = [c for c in types if c in table.column_names]
    return FleetData(
        table=_final(table, [TENANT_COLUMN, *canonical], schema.timestamp, usable),
        frequency=frequency,
        findings=tuple(sorted(findings, key=_finding_order)),
        failed=dict(sorted(failed.items())),
        fingerprints=fingerprints(table, canonical, schema.timestamp),
        tenants=usable,
    )


def _naive(now: datetime | None) -> datetime:
    """``now`` as a naive timestamp: aware values in UTC, naive values as given."""
    if now is None:
        return datetime.now()
    return now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now


def _map(
    reader: _Reader,
    source: SourceSpec,
    schema: SchemaSpec,
    key_values: Mapping[str, str] | None = None,
    tenant: str | None = None,
) -> MappedSource:
    """Read, map and roll up one source; its keys are what it joins on and groups by."""
    raw = reader.read(source)
    required = required_columns(source, schema)
    try:
        mapped = map_source(
            raw, source, schema, required=required, key_values=key_values, tenant=tenant
        )
    except SourceError as exc:
        if tenant is not None and key_values is None and len(schema.tenant_key) > 1:
            raise SourceError(
                f"{exc.message} (or declare tenants.overrides.{tenant}.key to fill the key "
                "columns this file lacks)"
            ) from exc
        if source.join_on:
            raise SourceError(
                f"{exc.message} (sources[{source.name}].join_on names "
                f"{list(source.join_on)}: list only columns this source has)"
            ) from exc
        raise
    keys = source_keys(source, schema, mapped.columns)
    if not keys:
        raise SourceError(no_join_key(raw, source, schema))
    return aggregate_source(mapped, source, schema, keys=keys, tenant=tenant)


def _conversion_findings(
    plan: SourcePlan,
    shared: Mapping[str, MappedSource],
    own: Mapping[str, Sequence[tuple[SourceSpec, MappedSource]]],
    present: set[str],
) -> tuple[list[Finding], dict[tuple[str, str], int]]:
    """Conversion findings and bad-cell counts that concern the tenants actually loaded.

    A shared source's bad cells matter to a tenant only if its rows were used: not for tenants
    left out by the selection, nor for tenants whose own source replaces that one.
    """
    findings: list[Finding] = []
    bad_cells: dict[tuple[str, str], int] = defaultdict(int)

    def take(mapped: MappedSource, keep: Callable[[str], bool]) -> None:
        findings.extend(f for f in mapped.findings if f.tenant is None or keep(f.tenant))
        for (tenant, column), count in mapped.bad_cells.items():
            if keep(tenant):
                bad_cells[(tenant, column)] += count

    for source in plan.shared:

        def uses(tenant: str, source: SourceSpec = source) -> bool:
            replaced = own.get(tenant, ())
            if source.kind == "observations":
                mine = any(s.kind == "observations" for s, _ in replaced)
            else:
                mine = any(s.name == source.name for s, _ in replaced)
            return tenant in present and not mine

        take(shared[source.name], uses)
    for pairs in own.values():
        for _, mapped in pairs:
            take(mapped, lambda tenant: True)  # a tenant's own file: always its business
    return findings, dict(bad_cells)


def _join_all(
    base: pa.Table,
    obs_columns: Sequence[str],
    plan: SourcePlan,
    shared: Mapping[str, MappedSource],
    own: Mapping[str, Sequence[tuple[SourceSpec, MappedSource]]],
    spec: FleetSpec,
) -> tuple[pa.Table, list[Finding], dict[str, str]]:
    """Join static sources, then covariates (they may join on a static column).

    Also gives, per joined column, the source it came from (findings cite that file's lines).
    """
    schema = spec.data_schema
    types = canonical_types(schema)
    specs: dict[str, SourceSpec] = {s.name: s for s in plan.shared}
    parts: dict[str, list[JoinPart]] = defaultdict(list)
    for source in plan.shared:
        if source.kind != "observations":
            parts[source.name].append(JoinPart(None, shared[source.name]))
    for tenant, pairs in own.items():
        for source, mapped in pairs:
            if source.kind != "observations":
                specs.setdefault(source.name, source)
                parts[source.name].append(JoinPart(tenant, mapped))
    order = sorted(parts, key=lambda n: (specs[n].kind != "static", list(specs).index(n)))
    provided = set(obs_columns)
    findings: list[Finding] = []
    origins: dict[str, str] = {}
    for name in order:
        source = specs[name]
        keys = join_keys_of(source, schema, parts[name])
        unknown = [k for k in keys if k not in base.column_names]
        if unknown:
            raise ConfigError(
                f"sources[{name}]: joins on {unknown}, which no observations or static source "
                f"provides; available: {[c for c in base.column_names if not c.startswith('_')]}"
            )
        have = [c for c in schema.columns if any(c in p.mapped.columns for p in parts[name])]
        new = {c: types[c] for c in have if c not in provided and c not in keys}
        for column in (c for c in have if c in provided and c not in keys):
            findings.append(_shadowed(column, name))
        if new:
            base, found = join_source(base, parts[name], keys=keys, columns=new, name=name)
            findings.extend(found)
            provided.update(new)
            origins.update(dict.fromkeys(new, name))
    missing = [c for c in schema.columns if c not in provided]
    if missing:
        listing = "; ".join(f"'{m.name}': {list(m.columns)}" for m in shared.values())
        raise SourceError(
            f"schema.columns {missing} are not in any source (canonical columns per source: "
            f"{listing}). Map them under a source's columns (canonical: source column) or remove "
            "them from schema.columns"
        )
    return base, findings, origins


def _shadowed(column: str, name: str) -> Finding:
    return Finding(
        tenant=None,
        check="source",
        severity="warning",
        column=column,
        count=1,
        message=(
            f"source '{name}' also has column '{column}', which an earlier source (observations "
            f"first, then static, then covariates) already provides; the copy in '{name}' is "
            "ignored. Remove it from one of them to make the choice explicit"
        ),
    )


def _rule_groups(
    spec: FleetSpec, plan: SourcePlan, present: set[str]
) -> dict[tuple[str, ...], tuple[ChecksSpec, ValidationSpec]]:
    """Tenants grouped by the checks and validation settings that apply to them."""
    special = {t: r for t, r in plan.rules.items() if t in present}
    groups: dict[tuple[str, ...], tuple[ChecksSpec, ValidationSpec]] = {
        tuple(sorted(present - set(special))): (spec.checks, spec.validation)
    }
    by_rules: dict[str, list[str]] = defaultdict(list)
    for tenant, (checks, validation) in special.items():
        by_rules[checks.model_dump_json() + validation.model_dump_json()].append(tenant)
    for tenants in by_rules.values():
        groups[tuple(sorted(tenants))] = special[tenants[0]]
    return {group: rules for group, rules in groups.items() if group}


def _only(table: pa.Table, tenants: Sequence[str]) -> pa.Table:
    return table.filter(pc.is_in(table[TENANT_COLUMN], value_set=pa.array(tenants, pa.string())))


def _final(
    table: pa.Table, columns: Sequence[str], timestamp: str, tenants: Sequence[str]
) -> pa.Table:
    """Usable tenants' rows in canonical columns, sorted by tenant then timestamp."""
    con = connect()
    con.register("t", table)
    con.register("usable", pa.table({"tenant": pa.array(tenants, pa.string())}))
    result = con.sql(
        f"SELECT {', '.join(quote(c) for c in columns)} FROM t "
        f"WHERE {TENANT_COLUMN} IN (SELECT tenant FROM usable) "
        f"ORDER BY {TENANT_COLUMN}, {quote(timestamp)}"
    ).to_arrow_table()
    con.close()
    return result


def _source_failure(tenant: str, message: str) -> Finding:
    return Finding(tenant, "source", "error", None, 1, message)


def _no_rows(tenant: str, schema: SchemaSpec) -> str:
    key = ", ".join(schema.tenant_key)
    return (
        f"tenant {tenant}: no rows found. It is listed in tenants.include, but no observations "
        f"source has rows whose key ({key}) gives '{tenant}' (multi-column keys are joined with "
        "'-'). Check the id, or remove it from tenants.include"
    )


def _summary(messages: Sequence[str]) -> str:
    shown = "; ".join(messages[:3])
    more = len(messages) - 3
    return shown + (f" (and {more} more error finding(s))" if more > 0 else "")


def _finding_order(finding: Finding) -> tuple[bool, str, int, str, str]:
    return (
        finding.tenant is not None,
        finding.tenant or "",
        _SEVERITY_ORDER[finding.severity],
        finding.check,
        finding.column or "",
    )
