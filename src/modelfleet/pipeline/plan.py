"""The plan stage: which tenants of a fleet train in this run, which are skipped, which failed.

A :class:`FleetPlan` is a plain value computed from the spec, the validated data and the task
keys that already finished; nothing is trained or written to build one, so tests (and a future
``--dry-run``) can inspect what a run would do. A tenant's identity is its task key: the same
config and the same data give the same key, and a finished key is skipped unless forced.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from modelfleet.config.spec import FleetSpec, Frequency
from modelfleet.data.canonical import Finding, FleetData
from modelfleet.errors import UsageError
from modelfleet.tracking.records import FindingRecord
from modelfleet.version import __version__

# Given the task keys of the planned tenants, those that already ended succeeded or rejected.
CompletedKeys = Callable[[Collection[str]], Collection[str]]

# How many known tenant ids an unknown-selection error shows (a fleet can have 10,000).
SHOWN_KNOWN = 5


@dataclass(frozen=True)
class TenantPlan:
    """One tenant's part of a run: the spec it trains with and the identity of its task."""

    tenant: str
    spec: FleetSpec  # the fleet spec with this tenant's override merged in
    training_hash: str
    task_key: str
    data_fingerprint: str | None
    findings: tuple[FindingRecord, ...] = ()
    reason: str | None = None  # why it cannot train (its data failed validation)


@dataclass(frozen=True)
class FleetPlan:
    """What one run does: tenants to train, to skip as done, and to record as failed."""

    fleet: str
    environment: str
    frequency: Frequency
    train: tuple[TenantPlan, ...]
    skipped: tuple[TenantPlan, ...]
    failed: tuple[TenantPlan, ...]
    fleet_findings: tuple[Finding, ...]  # findings about no one tenant (a shared source)
    selection: tuple[str, ...] | None = None  # None: the whole fleet
    # Failed validation before with the same config and data: on record already, not again.
    still_failing: tuple[TenantPlan, ...] = ()

    @property
    def invalid_ids(self) -> int:
        """Tenant ids in the data that break the tenant-id rule (whole-fleet runs only).

        Their rows were dropped at ingest; no store can hold a record under such an id, so
        they count as failed tenants in the summary and the exit code instead.
        """
        if self.selection is not None:
            return 0
        return sum(f.count for f in self.fleet_findings if f.check == "tenant_id")

    @property
    def recorded(self) -> int:
        """How many tenant records this run writes: every trained and every failed tenant."""
        return len(self.train) + len(self.failed)


def task_key(spec: FleetSpec, tenant: str, config_hash: str, fingerprint: str | None) -> str:
    """Identity of a tenant's training task: same config and same data give the same key."""
    payload = {
        "fleet": spec.name,
        "environment": spec.environment,
        "tenant": tenant,
        "config": config_hash,
        "data": fingerprint,
        "modelfleet": __version__,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def check_selection(data: FleetData, tenants: Sequence[str] | None) -> tuple[str, ...] | None:
    """The selection without repeats, or UsageError naming ids the fleet's data does not have.

    Tenants whose data failed validation count as known: selecting one records its failure.
    """
    if tenants is None:
        return None
    if isinstance(tenants, str):  # a lone id would otherwise select its characters
        tenants = [tenants]
    selection = tuple(dict.fromkeys(tenants))
    if not selection:
        raise UsageError("the tenant selection is empty: name at least one tenant, or select none")
    known = {*data.tenants, *data.failed}
    unknown = [t for t in selection if t not in known]
    if unknown:
        shown = ", ".join(sorted(known)[:SHOWN_KNOWN]) or "none"
        more = f" (and {len(known) - SHOWN_KNOWN} more)" if len(known) > SHOWN_KNOWN else ""
        raise UsageError(
            f"unknown tenant(s) {', '.join(map(repr, unknown))} in the selection: the fleet's data "
            f"has no such tenant, or tenants.include/exclude leave it out; known tenants: "
            f"{shown}{more}"
        )
    return selection


def finding_records(findings: Iterable[Finding]) -> tuple[FindingRecord, ...]:
    """Data findings as the records a tenant run carries."""
    return tuple(
        FindingRecord(
            check=f.check,
            severity=f.severity,
            column=f.column,
            count=f.count,
            message=f.message,
            examples=tuple(f.examples),
        )
        for f in findings
    )


def _tenant_plan(
    spec: FleetSpec, data: FleetData, tenant: str, findings: Sequence[Finding]
) -> TenantPlan:
    tenant_spec = spec.for_tenant(tenant)
    training_hash = tenant_spec.training_hash()
    fingerprint = data.fingerprints.get(tenant)
    reason = data.failed.get(tenant)
    # A failing tenant's data may not even be readable (no fingerprint): its failure reason
    # stands in, so the same failure is known again and a different one is news.
    identity = fingerprint if reason is None else f"{fingerprint}|failed:{reason}"
    return TenantPlan(
        tenant=tenant,
        spec=tenant_spec,
        training_hash=training_hash,
        task_key=task_key(spec, tenant, training_hash, identity),
        data_fingerprint=fingerprint,
        findings=finding_records(findings),
        reason=reason,
    )


def plan_fleet(
    spec: FleetSpec,
    data: FleetData,
    completed: CompletedKeys,
    *,
    force: bool = False,
    tenants: Sequence[str] | None = None,
    failed_before: CompletedKeys | None = None,
) -> FleetPlan:
    """Plan a run over ``data``: tenants whose task key ``completed`` knows are skipped.

    ``force`` trains every tenant (``completed`` is not asked); ``tenants`` limits the plan to
    those ids (see :func:`check_selection`). Trained and failed tenants keep the data's order.
    A tenant whose data fails validation with a task key ``failed_before`` knows is
    ``still_failing``: its failure is on record, and recording it again would say nothing new.
    """
    selection = check_selection(data, tenants)
    chosen = None if selection is None else set(selection)
    by_tenant: dict[str, list[Finding]] = {}
    for finding in data.findings:
        if finding.tenant is not None:
            by_tenant.setdefault(finding.tenant, []).append(finding)

    def planned(ids: Iterable[str]) -> tuple[TenantPlan, ...]:
        picked = [t for t in ids if chosen is None or t in chosen]
        return tuple(_tenant_plan(spec, data, t, by_tenant.get(t, ())) for t in picked)

    usable = planned(data.tenants)
    done = set() if force else set(completed([t.task_key for t in usable]))
    invalid = planned(sorted(data.failed))
    known_failures: set[str] = set()
    if failed_before is not None and not force and invalid:
        known_failures = set(failed_before([t.task_key for t in invalid]))
    return FleetPlan(
        fleet=spec.name,
        environment=spec.environment or "default",
        frequency=data.frequency,
        train=tuple(t for t in usable if t.task_key not in done),
        skipped=tuple(t for t in usable if t.task_key in done),
        failed=tuple(t for t in invalid if t.task_key not in known_failures),
        fleet_findings=tuple(f for f in data.findings if f.tenant is None),
        selection=selection,
        still_failing=tuple(t for t in invalid if t.task_key in known_failures),
    )
