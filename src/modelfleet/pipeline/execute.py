"""The execute stage: one :class:`TenantTask` per planned tenant, run on an executor.

Tasks are made lazily, one at a time as the executor asks for them, so 10,000 tenants never
sit in memory as tasks at once. Every outcome becomes a record: a worker's failure (an
exception, a dead process) is a ``failed`` record for that tenant and never stops the others.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from modelfleet.config.spec import FleetSpec
from modelfleet.pipeline.executors import Executor
from modelfleet.pipeline.features_stage import TrainingRows
from modelfleet.pipeline.plan import FleetPlan, TenantPlan
from modelfleet.pipeline.pooled import PooledCandidate
from modelfleet.pipeline.task_watch import TaskLimits
from modelfleet.pipeline.tenant import TenantTask, train_tenant
from modelfleet.tracking.lineage import code_version, package_versions
from modelfleet.tracking.records import TenantRunRecord, new_run_id


@dataclass(frozen=True)
class RunContext:
    """What every task of one fleet run shares: its id, where artifacts go, and lineage."""

    fleet_run_id: str
    artifacts_url: str
    code_version: str | None
    lineage: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def for_spec(cls, spec: FleetSpec, fleet_run_id: str, artifacts_url: str) -> RunContext:
        """The context of a run of ``spec``: package versions and the spec folder's code version."""
        lineage = {f"package.{k}": v for k, v in package_versions().items()}
        return cls(fleet_run_id, artifacts_url, code_version(Path(spec.base_dir)), lineage)


def failed_record(
    plan: FleetPlan, tenant: TenantPlan, fleet_run_id: str, reason: str
) -> TenantRunRecord:
    """The record of a tenant that could not train (bad data, or its worker failed)."""
    now = datetime.now(UTC)
    return TenantRunRecord(
        run_id=new_run_id(),
        fleet_run_id=fleet_run_id,
        fleet=plan.fleet,
        tenant=tenant.tenant,
        environment=plan.environment,
        status="failed",
        started_at=now,
        finished_at=now,
        task_key=tenant.task_key,
        config_hash=tenant.training_hash,
        data_fingerprint=tenant.data_fingerprint,
        model_family=tenant.spec.model.family,
        code_version=None,
        params={},
        metrics={},
        baseline_metrics={},
        timings={},
        findings=tenant.findings,
        reason=reason,
    )


def tenant_tasks(
    plan: FleetPlan,
    rows: Mapping[str, TrainingRows],
    context: RunContext,
    pooled: Mapping[str, PooledCandidate] | None = None,
) -> Iterator[TenantTask]:
    """The task of every tenant ``plan`` trains, in plan order; ``rows`` has each one's rows
    and ``pooled`` the pooled model's candidate of each tenant that has one."""
    pooled = pooled or {}
    for tenant in plan.train:
        training = rows[tenant.tenant]
        views = {f"feature_view.{n}": v for n, v in training.features.view_versions}
        yield TenantTask(
            run_id=new_run_id(),
            fleet_run_id=context.fleet_run_id,
            fleet=plan.fleet,
            tenant=tenant.tenant,
            environment=plan.environment,
            spec=tenant.spec,
            frame=training.rows,
            feature_columns=training.features.feature_columns,
            categorical=training.features.categorical,
            frequency=plan.frequency,
            task_key=tenant.task_key,
            config_hash=tenant.training_hash,
            data_fingerprint=tenant.data_fingerprint,
            code_version=context.code_version,
            artifacts_url=context.artifacts_url,
            lineage={**context.lineage, **views},
            findings=tenant.findings,
            limits=_limits(tenant.spec),
            pooled=pooled.get(tenant.tenant),
        )


def _limits(spec: FleetSpec) -> TaskLimits | None:
    limits = spec.limits
    if limits.memory_mb is None and limits.seconds is None:
        return None
    return TaskLimits(memory_mb=limits.memory_mb, seconds=limits.seconds)


def execute(
    plan: FleetPlan,
    rows: Mapping[str, TrainingRows],
    executor: Executor,
    context: RunContext,
    pooled: Mapping[str, PooledCandidate] | None = None,
) -> Iterator[TenantRunRecord]:
    """Train the planned tenants on ``executor``, yielding one record each as they finish."""
    planned = {t.tenant: t for t in plan.train}
    for outcome in executor.run(train_tenant, tenant_tasks(plan, rows, context, pooled)):
        resources = {} if outcome.usage is None else outcome.usage.as_resources()
        if outcome.result is not None:
            yield replace(outcome.result, resources={**outcome.result.resources, **resources})
        else:
            tenant = planned[outcome.item.tenant]
            failed = failed_record(
                plan, tenant, context.fleet_run_id, outcome.error or "unknown error"
            )
            yield replace(failed, resources=resources)
