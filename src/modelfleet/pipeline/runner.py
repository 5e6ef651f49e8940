"""The fleet runner: one call trains every selected tenant, isolated, resumable.

A run is four stages over values: load and validate all tenants' data once (vectorised),
**plan** (:mod:`~modelfleet.pipeline.plan`: which tenants train, which are skipped because their
exact task (config + data) already finished, which failed validation), build **features** for
the planned tenants in one DuckDB pass per feature definition
(:mod:`~modelfleet.pipeline.features_stage`), **execute** the tenant tasks on an executor
(:mod:`~modelfleet.pipeline.execute`), and **record** results in small batches as they arrive
(:mod:`~modelfleet.pipeline.recording`). Each batch is one transaction, so Ctrl-C or a killed
worker leaves only whole tenant records behind and a re-run picks up exactly what is missing.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from modelfleet.caller import Caller
from modelfleet.config.settings import Settings
from modelfleet.config.spec import FleetSpec
from modelfleet.data.canonical import Finding, FleetData
from modelfleet.data.ingest import load_fleet_data
from modelfleet.errors import ModelfleetError, TrainingError, UsageError
from modelfleet.features.history import materialize_history, recent_rows
from modelfleet.pipeline.execute import RunContext, execute, failed_record
from modelfleet.pipeline.executor_backends import open_executor
from modelfleet.pipeline.executors import Executor
from modelfleet.pipeline.features_stage import TrainingRows, build_training_rows
from modelfleet.pipeline.heartbeat import Heartbeat
from modelfleet.pipeline.plan import FleetPlan, check_selection, plan_fleet, task_key
from modelfleet.pipeline.pooled import PooledCandidate, pooled_candidates, wants_pooled
from modelfleet.pipeline.recording import Recorder, RunListener, SilentListener
from modelfleet.registry import Registry
from modelfleet.registry.backend import as_caller
from modelfleet.tracking.records import RUN_TRIGGERS, RunTrigger, TenantRunRecord
from modelfleet.tracking.tracker import Tracker
from modelfleet.training.defaults import with_feature_defaults

__all__ = ["FleetRunSummary", "task_key", "train_fleet"]

LOADING = "loading and validating data"


@dataclass(frozen=True)
class FleetRunSummary:
    """What one ``train`` invocation did."""

    fleet_run_id: str
    fleet: str
    environment: str
    status: str
    records: tuple[TenantRunRecord, ...]
    skipped: tuple[str, ...]
    findings: tuple[Finding, ...]
    duration_seconds: float
    store_url: str
    artifacts_url: str
    actor: str
    trigger: RunTrigger
    versions: Mapping[str, str] = field(default_factory=dict)  # tenant -> registered version
    selection: tuple[str, ...] | None = None  # the tenants asked for; None: the whole fleet
    continues: tuple[str, ...] = ()  # fleet runs whose process died, resumed by this one
    unregistered: Mapping[str, str] = field(default_factory=dict)  # tenant -> why not registered
    unrecorded: Mapping[str, str] = field(default_factory=dict)  # tenant -> why no record at all
    reused: Mapping[str, str] = field(default_factory=dict)  # tenant -> identical version reused
    invalid_ids: int = 0  # tenant ids in the data that break the rule (dropped, failed)
    still_failing: tuple[str, ...] = ()  # failed validation before, same data: not recorded again

    def count(self, status: str) -> int:
        """How many tenants ended with ``status`` in this invocation."""
        return sum(1 for r in self.records if r.status == status)


@dataclass(frozen=True)
class _Request:
    """One ``train_fleet`` call's arguments, resolved (the executor chosen, a listener set)."""

    spec: FleetSpec
    settings: Settings
    executor: Executor
    listener: RunListener
    force: bool
    allow_identical: bool
    now: datetime | None
    caller: Caller
    trigger: RunTrigger
    tenants: Sequence[str] | None
    clock: float = field(default_factory=time.perf_counter)

    @property
    def environment(self) -> str:
        return self.spec.environment or "default"


def train_fleet(
    spec: FleetSpec,
    settings: Settings,
    *,
    caller: Caller | str,
    trigger: RunTrigger = "manual",
    tenants: Sequence[str] | None = None,
    force: bool = False,
    executor: Executor | None = None,
    listener: RunListener | None = None,
    now: datetime | None = None,
    allow_identical: bool = False,
) -> FleetRunSummary:
    """Train the fleet's tenants (only ``tenants`` if given); finished tasks are skipped.

    ``caller`` (a :class:`~modelfleet.caller.Caller` or a principal's name) is checked
    against the registry's policy for every planned tenant and recorded, with ``trigger``
    (manual, schedule, drift...), on the fleet run and every version it registers.
    ``executor`` defaults to ``settings.executor``. A run that repeats a registered
    version's training exactly (same data, config, family, signature) gets that version back
    instead of a new one unless ``allow_identical``.
    """
    if trigger not in RUN_TRIGGERS:
        raise UsageError(f"trigger {trigger!r} is not one of: {', '.join(RUN_TRIGGERS)}")
    request = _Request(
        spec=spec,
        settings=settings,
        executor=executor or open_executor(settings.executor, workers=settings.workers),
        listener=listener or SilentListener(),
        force=force,
        allow_identical=allow_identical,
        now=now,
        caller=as_caller(caller, via="pipeline"),
        trigger=trigger,
        tenants=tenants,
    )
    tracker = Tracker.open(settings.store_url)
    try:
        data = None
        if tenants is not None:
            # The selection is checked before the fleet run is recorded, so a mistyped tenant
            # id leaves no trace; knowing the fleet's tenants takes its data, so load it first.
            request.listener.stage(LOADING)
            data = load_fleet_data(spec, now=now)
            check_selection(data, tenants)
        continued = tracker.interrupt_stale(spec.name, request.environment)
        for run in continued:
            left = "" if run.left is None else f", {run.left} left"
            request.listener.stage(
                f"continuing fleet run {run.id[:8]}, interrupted when its process died "
                f"({run.done} tenant(s) done{left})"
            )
        fleet_run_id = tracker.start_fleet_run(
            spec.name,
            request.environment,
            spec.config_hash(),
            actor=request.caller.principal,
            trigger=trigger,
        )
        with Heartbeat(settings.store_url, fleet_run_id):
            summary = _run(request, tracker, fleet_run_id, data)
        return replace(summary, continues=tuple(run.id for run in continued))
    finally:
        tracker.close()


def _run(
    request: _Request, tracker: Tracker, fleet_run_id: str, data: FleetData | None
) -> FleetRunSummary:
    """Plan, build features, execute and record one started fleet run; always finish it."""
    spec, listen, environment = request.spec, request.listener, request.environment
    registry = Registry(tracker.store, request.settings.artifacts_url)
    recorder = Recorder(
        tracker,
        registry,
        listen,
        caller=request.caller,
        reuse_identical=not request.allow_identical,
    )
    skipped = 0
    status = "failed"
    try:
        if data is None:
            listen.stage(LOADING)
            data = load_fleet_data(spec, now=request.now)
        # Feature defaults depend on the frequency, which may come from the data.
        spec = with_feature_defaults(spec, data.frequency)
        plan = plan_fleet(
            spec,
            data,
            lambda keys: tracker.completed_task_keys(spec.name, environment, keys),
            force=request.force,
            tenants=request.tenants,
            failed_before=lambda keys: tracker.failed_task_keys(spec.name, environment, keys),
        )
        registry.authorize(
            request.caller, "train", [f"{plan.fleet}/{t.tenant}" for t in plan.train]
        )
        for tenant in plan.failed:
            recorder.add(failed_record(plan, tenant, fleet_run_id, tenant.reason or "invalid"))
        recorder.invalid_ids = plan.invalid_ids
        recorder.still_failing = len(plan.still_failing)
        recorder.skipped = len(plan.skipped)
        skipped = len(plan.skipped)
        tracker.renew_lease(fleet_run_id, planned=plan.recorded)
        recorder.register_leftovers(plan.fleet, environment, [t.task_key for t in plan.skipped])
        listen.started(plan.recorded, skipped)

        listen.stage("building features")
        rows = build_training_rows(spec, data, plan)
        context = RunContext.for_spec(spec, fleet_run_id, request.settings.artifacts_url)
        pooled = _pooled_stage(request, spec, plan, rows, data)
        listen.stage("training")
        for record in execute(plan, rows, request.executor, context, pooled):
            recorder.add(record)
        recorder.flush()
        _keep_history(request, plan, data, recorder.versions)
        status = recorder.status()
        return _summary(request, plan, fleet_run_id, status, recorder)
    except BaseException as exc:
        # Keep what finished: whole records only, each batch its own transaction.
        recorder.flush()
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        raise
    finally:
        # Interrupted runs keep their counts too: they say what the re-run will not redo.
        tracker.finish_fleet_run(fleet_run_id, status, skipped=skipped, **recorder.counts())


def _keep_history(
    request: _Request, plan: FleetPlan, data: FleetData, versions: Mapping[str, object]
) -> None:
    """Leave each registered tenant's recent rows in the online store, for forecasts.

    Serving needs them, training does not: a store that cannot take them is reported as a
    stage message and the run's outcome stands.
    """
    specs = {t.tenant: t.spec for t in plan.train if t.tenant in versions}
    if not specs or not request.settings.online_url:
        return
    request.listener.stage(f"keeping recent history of {len(specs)} tenant(s) for forecasts")
    try:
        timestamp = request.spec.data_schema.timestamp
        recent = recent_rows(data, specs, data.frequency)
        materialize_history(request.settings.online_url, plan.fleet, recent, timestamp)
    except ModelfleetError as exc:
        request.listener.stage(f"recent history not kept, forecasts will fail until it is: {exc}")


def _pooled_stage(
    request: _Request,
    spec: FleetSpec,
    plan: FleetPlan,
    rows: Mapping[str, TrainingRows],
    data: FleetData,
) -> dict[str, PooledCandidate]:
    """The pooled model's candidates (once per run, in this process, before the tasks).

    A pooled model that cannot be trained (LightGBM refuses its params, say) leaves every
    tenant with its per-tenant model and the baseline; the stage message says why.
    """
    if not any(wants_pooled(t.spec) for t in plan.train):
        return {}
    request.listener.stage("training the pooled model")
    try:
        return pooled_candidates(spec, plan, rows, data, request.settings.artifacts_url)
    except TrainingError as exc:
        request.listener.stage(f"pooled model skipped, tenants train alone: {exc}")
        return {}


def _summary(
    request: _Request, plan: FleetPlan, fleet_run_id: str, status: str, recorder: Recorder
) -> FleetRunSummary:
    return FleetRunSummary(
        fleet_run_id=fleet_run_id,
        fleet=plan.fleet,
        environment=plan.environment,
        status=status,
        records=tuple(recorder.written),
        versions=dict(recorder.versions),
        unregistered=dict(recorder.unregistered),
        unrecorded=dict(recorder.unrecorded),
        reused=dict(recorder.reused),
        invalid_ids=plan.invalid_ids,
        still_failing=tuple(t.tenant for t in plan.still_failing),
        skipped=tuple(t.tenant for t in plan.skipped),
        findings=plan.fleet_findings,
        duration_seconds=time.perf_counter() - request.clock,
        store_url=request.settings.store_url,
        artifacts_url=request.settings.artifacts_url,
        actor=request.caller.principal,
        trigger=request.trigger,
        selection=plan.selection,
    )
