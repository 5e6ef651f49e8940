"""The fleet runner: one command trains every selected tenant, isolated, resumable.

Order of work: load and validate all tenants' data once (vectorised), build features for the
whole fleet in one DuckDB pass, skip tenants whose exact task (config + data) already finished,
fan the rest out over the executor, and write records in small batches as results arrive. Each
batch is one transaction, so Ctrl-C or a killed worker leaves only whole tenant records behind
and a re-run picks up exactly the tenants that are missing.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.config.settings import Settings
from modelfleet.config.spec import FleetSpec
from modelfleet.data.canonical import TENANT_COLUMN, Finding, FleetData
from modelfleet.data.ingest import load_fleet_data
from modelfleet.features.forecast import FeatureSet, build_forecast_features
from modelfleet.pipeline.executors import Executor, make_executor
from modelfleet.pipeline.recording import Recorder, RunListener, SilentListener
from modelfleet.pipeline.tenant import TenantTask, train_tenant
from modelfleet.registry import Registry
from modelfleet.tracking.lineage import code_version, package_versions
from modelfleet.tracking.records import FindingRecord, TenantRunRecord, new_run_id
from modelfleet.tracking.tracker import Tracker
from modelfleet.version import __version__


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
    versions: Mapping[str, str] = field(default_factory=dict)  # tenant -> registered version

    def count(self, status: str) -> int:
        """How many tenants ended with ``status`` in this invocation."""
        return sum(1 for r in self.records if r.status == status)


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


def _finding_records(findings: Sequence[Finding]) -> tuple[FindingRecord, ...]:
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


def _tenant_slices(table: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """Split a table sorted by tenant into compact per-tenant tables, without a row loop."""
    if table.num_rows == 0:
        return
    encoded = pc.dictionary_encode(table[TENANT_COLUMN]).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(codes)) + 1))
    ends = np.append(starts[1:], len(codes))
    names = encoded.dictionary.to_pylist()
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        # A zero-copy slice spans one or two chunks, so take() stays cheap; it copies the
        # tenant's rows, so a pickled task never drags the whole fleet's buffers along (and no
        # second copy of the whole table is made first).
        yield names[codes[start]], table.slice(start, end - start).take(np.arange(end - start))


def _features_by_group(
    spec: FleetSpec, data: FleetData, tenant_specs: Mapping[str, FleetSpec]
) -> dict[str, tuple[FeatureSet, pa.Table]]:
    """Build features once per distinct feature definition (overrides may differ)."""
    groups: dict[str, list[str]] = {}
    for tenant, tspec in tenant_specs.items():
        key = json.dumps(
            [tspec.features.model_dump(mode="json"), tspec.validation.horizon], sort_keys=True
        )
        groups.setdefault(key, []).append(tenant)
    result: dict[str, tuple[FeatureSet, pa.Table]] = {}
    for tenants in groups.values():
        tspec = tenant_specs[tenants[0]]
        subset = data.table.filter(pc.is_in(data.table[TENANT_COLUMN], pa.array(tenants)))
        features = build_forecast_features(
            subset,
            spec,
            frequency=data.frequency,
            features=tspec.features,
            horizon=tspec.validation.horizon,
            fleet_table=data.table,
        )
        for tenant, rows in _tenant_slices(features.table):
            result[tenant] = (features, rows)
    return result


def _failed_record(
    spec: FleetSpec,
    fleet_run_id: str,
    tenant: str,
    reason: str,
    findings: tuple[FindingRecord, ...],
    fingerprint: str | None,
) -> TenantRunRecord:
    """The record of a tenant that could not train; ``spec`` is the fleet spec."""
    now = datetime.now(UTC)
    tenant_spec = spec.for_tenant(tenant) if tenant in spec.tenants.overrides else spec
    config_hash = tenant_spec.training_hash()
    return TenantRunRecord(
        run_id=new_run_id(),
        fleet_run_id=fleet_run_id,
        fleet=spec.name,
        tenant=tenant,
        environment=spec.environment or "default",
        status="failed",
        started_at=now,
        finished_at=now,
        task_key=task_key(spec, tenant, config_hash, fingerprint),
        config_hash=config_hash,
        data_fingerprint=fingerprint,
        model_family=tenant_spec.model.family,
        code_version=None,
        params={},
        metrics={},
        baseline_metrics={},
        timings={},
        findings=findings,
        reason=reason,
    )


def train_fleet(
    spec: FleetSpec,
    settings: Settings,
    *,
    force: bool = False,
    executor: Executor | None = None,
    listener: RunListener | None = None,
    now: datetime | None = None,
    actor: str = "modelfleet",
) -> FleetRunSummary:
    """Train every selected tenant; tenants already done with this config and data are skipped."""
    listen = listener or SilentListener()
    clock = time.perf_counter()
    environment = spec.environment or "default"
    tracker = Tracker.open(settings.store_url)
    fleet_run_id = tracker.start_fleet_run(spec.name, environment, spec.config_hash())
    registry = Registry(tracker.store, settings.artifacts_url)
    batcher = Recorder(tracker, registry, listen, actor=actor)
    skipped: list[str] = []
    status = "failed"
    try:
        listen.stage("loading and validating data")
        data = load_fleet_data(spec, now=now)
        tenant_specs = {t: spec.for_tenant(t) for t in data.tenants}
        hashes = {t: s.training_hash() for t, s in tenant_specs.items()}
        by_tenant: dict[str, list[Finding]] = {}
        for finding in data.findings:
            if finding.tenant is not None:
                by_tenant.setdefault(finding.tenant, []).append(finding)
        for tenant, reason in sorted(data.failed.items()):
            batcher.add(
                _failed_record(
                    spec,
                    fleet_run_id,
                    tenant,
                    reason,
                    _finding_records(by_tenant.get(tenant, [])),
                    data.fingerprints.get(tenant),
                )
            )

        keys = {t: task_key(spec, t, hashes[t], data.fingerprints.get(t)) for t in data.tenants}
        done = (
            set() if force else tracker.completed_task_keys(spec.name, environment, keys.values())
        )
        todo = [t for t in data.tenants if keys[t] not in done]
        skipped = [t for t in data.tenants if keys[t] in done]
        batcher.register_leftovers(spec.name, environment, [keys[t] for t in skipped])
        listen.started(len(todo) + len(data.failed), len(skipped))

        listen.stage("building features")
        features = _features_by_group(spec, data, {t: tenant_specs[t] for t in todo})
        lineage = {f"package.{k}": v for k, v in package_versions().items()}
        version = code_version(Path(spec.base_dir))

        def tasks() -> Iterator[TenantTask]:
            for tenant in todo:
                feature_set, rows = features[tenant]
                views = {f"feature_view.{n}": v for n, v in feature_set.view_versions}
                yield TenantTask(
                    run_id=new_run_id(),
                    fleet_run_id=fleet_run_id,
                    fleet=spec.name,
                    tenant=tenant,
                    environment=environment,
                    spec=tenant_specs[tenant],
                    frame=rows,
                    feature_columns=feature_set.feature_columns,
                    categorical=feature_set.categorical,
                    frequency=data.frequency,
                    task_key=keys[tenant],
                    config_hash=hashes[tenant],
                    data_fingerprint=data.fingerprints.get(tenant),
                    code_version=version,
                    artifacts_url=settings.artifacts_url,
                    lineage={**lineage, **views},
                    findings=_finding_records(by_tenant.get(tenant, [])),
                )

        listen.stage("training")
        runner = executor or make_executor(settings.workers)
        for outcome in runner.run(train_tenant, tasks()):
            if outcome.result is not None:
                batcher.add(outcome.result)
            else:
                item = outcome.item
                batcher.add(
                    _failed_record(
                        spec,
                        fleet_run_id,
                        item.tenant,
                        outcome.error or "unknown error",
                        item.findings,
                        item.data_fingerprint,
                    )
                )
        batcher.flush()
        failed = sum(1 for r in batcher.written if r.status == "failed")
        status = (
            "succeeded"
            if failed == 0
            else ("failed" if failed == len(batcher.written) else "partial")
        )
        return FleetRunSummary(
            fleet_run_id=fleet_run_id,
            fleet=spec.name,
            environment=environment,
            status=status,
            records=tuple(batcher.written),
            versions=dict(batcher.versions),
            skipped=tuple(skipped),
            findings=tuple(f for f in data.findings if f.tenant is None),
            duration_seconds=time.perf_counter() - clock,
            store_url=settings.store_url,
            artifacts_url=settings.artifacts_url,
        )
    except BaseException as exc:
        # Keep what finished: whole records only, each batch its own transaction.
        batcher.flush()
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        raise
    finally:
        counts = {
            s: sum(1 for r in batcher.written if r.status == s)
            for s in ("succeeded", "rejected", "failed")
        }
        # Interrupted runs keep their counts too: they say what the re-run will not redo.
        tracker.finish_fleet_run(fleet_run_id, status, skipped=len(skipped), **counts)
        tracker.close()
