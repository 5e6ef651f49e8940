"""Translate tracking records to the store's rows and back.

Params keep their Python type through the database as text plus a type tag. Candidate,
baseline and timing values share the ``metrics`` table, told apart by scope. Findings'
examples and trials' params are JSON text: they are only ever read back as a whole.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Mapping
from typing import Any, Final, cast

from modelfleet.store import (
    ArtifactRow,
    FindingRow,
    FleetRunRow,
    LineageRow,
    MetricRow,
    ParamRow,
    RunBundle,
    RunRow,
    TrialRow,
)
from modelfleet.tracking.records import (
    ArtifactRecord,
    FindingRecord,
    FleetRunRecord,
    FleetRunStatus,
    ParamValue,
    RunStatus,
    RunTrigger,
    Severity,
    TenantRunRecord,
    TrialRecord,
)
from modelfleet.tracking.signature import Signature

# Metric scope in the store for each mapping of a TenantRunRecord.
SCOPES: Final = {
    "metrics": "candidate",
    "baseline_metrics": "baseline",
    "timings": "timing",
    "resources": "resource",
}


def plain_param(key: str, value: object) -> ParamValue:
    """Coerce a param to a plain Python value; numpy scalars become int/float/bool."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    item = getattr(value, "item", None)  # numpy scalars (e.g. numpy.bool_) unwrap via .item()
    if callable(item):
        unwrapped = item()
        if unwrapped is None or isinstance(unwrapped, bool | int | float | str):
            return unwrapped
    raise TypeError(
        f"param {key!r} has type {type(value).__name__}; record a str, int, float, bool or None"
    )


def encode_param(key: str, value: object) -> ParamRow:
    """A param as text plus the name of its type."""
    plain = plain_param(key, value)
    if plain is None:
        return ParamRow(key, None, "none")
    if isinstance(plain, bool):  # before int: bool is an int subclass
        return ParamRow(key, "true" if plain else "false", "bool")
    if isinstance(plain, int):
        return ParamRow(key, str(plain), "int")
    if isinstance(plain, float):
        return ParamRow(key, repr(plain), "float")  # repr round-trips exactly, nan/inf too
    return ParamRow(key, plain, "str")


def decode_param(row: ParamRow) -> ParamValue:
    """The Python value a ParamRow was encoded from."""
    if row.value is None or row.value_type == "none":
        return None
    if row.value_type == "bool":
        return row.value == "true"
    if row.value_type == "int":
        return int(row.value)
    if row.value_type == "float":
        return float(row.value)
    return row.value


def to_bundle(record: TenantRunRecord) -> RunBundle:
    """The store rows for one tenant run record."""
    metrics = tuple(
        MetricRow(key, value, scope=scope)
        for field, scope in SCOPES.items()
        for key, value in cast(Mapping[str, float], getattr(record, field)).items()
    )
    return RunBundle(
        run=RunRow(
            id=record.run_id,
            fleet_run_id=record.fleet_run_id,
            fleet=record.fleet,
            tenant=record.tenant,
            environment=record.environment,
            status=record.status,
            task_key=record.task_key,
            config_hash=record.config_hash,
            data_fingerprint=record.data_fingerprint,
            model_family=record.model_family,
            code_version=record.code_version,
            reason=record.reason,
            started_at=record.started_at,
            finished_at=record.finished_at,
            duration_seconds=record.duration_seconds,
            signature=None if record.signature is None else record.signature.to_json(),
        ),
        params=tuple(encode_param(key, value) for key, value in record.params.items()),
        metrics=metrics,
        artifacts=tuple(
            ArtifactRow(a.name, a.kind, a.digest, a.uri, a.size_bytes) for a in record.artifacts
        ),
        lineage=tuple(LineageRow(key, value) for key, value in record.lineage.items()),
        findings=tuple(
            FindingRow(f.check, f.severity, f.column, f.count, f.message, _json(list(f.examples)))
            for f in record.findings
        ),
        trials=tuple(
            TrialRow(t.number, t.value, t.state, _json(_plain_params(t.params)))
            for t in record.trials
        ),
    )


def from_bundle(bundle: RunBundle) -> TenantRunRecord:
    """The tenant run record the store rows describe."""
    run = bundle.run
    by_scope: dict[str, dict[str, float]] = {scope: {} for scope in SCOPES.values()}
    for metric in bundle.metrics:
        by_scope.setdefault(metric.scope, {})[metric.key] = metric.value
    return TenantRunRecord(
        run_id=run.id,
        fleet_run_id=run.fleet_run_id,
        fleet=run.fleet,
        tenant=run.tenant,
        environment=run.environment,
        status=cast(RunStatus, run.status),  # the store only holds valid statuses
        started_at=run.started_at,
        finished_at=run.finished_at,
        task_key=run.task_key,
        config_hash=run.config_hash,
        data_fingerprint=run.data_fingerprint,
        model_family=run.model_family,
        code_version=run.code_version,
        params={row.key: decode_param(row) for row in bundle.params},
        metrics=by_scope[SCOPES["metrics"]],
        baseline_metrics=by_scope[SCOPES["baseline_metrics"]],
        timings=by_scope[SCOPES["timings"]],
        resources=by_scope[SCOPES["resources"]],
        artifacts=tuple(
            ArtifactRecord(a.name, a.kind, a.digest, a.uri, a.size_bytes) for a in bundle.artifacts
        ),
        lineage={row.key: row.value for row in bundle.lineage},
        trials=tuple(
            TrialRecord(t.number, t.value, json.loads(t.params), t.state) for t in bundle.trials
        ),
        findings=tuple(
            FindingRecord(
                f.check,
                cast(Severity, f.severity),
                f.column,
                f.count,
                f.message,
                tuple(str(example) for example in json.loads(f.examples)),
            )
            for f in bundle.findings
        ),
        reason=run.reason,
        signature=None if run.signature is None else Signature.from_json(run.signature),
    )


def to_fleet_record(row: FleetRunRow) -> FleetRunRecord:
    """The public record of a fleet run row."""
    return FleetRunRecord(
        id=row.id,
        fleet=row.fleet,
        environment=row.environment,
        status=cast(FleetRunStatus, row.status),
        started_at=row.started_at,
        finished_at=row.finished_at,
        config_hash=row.config_hash,
        succeeded=row.succeeded,
        rejected=row.rejected,
        failed=row.failed,
        skipped=row.skipped,
        actor=row.actor,
        trigger=cast(RunTrigger, row.trigger),
        owner_host=row.owner_host,
        owner_pid=row.owner_pid,
        heartbeat_at=row.heartbeat_at,
        planned=row.planned,
    )


def _plain_params(params: Mapping[str, object]) -> dict[str, ParamValue]:
    return {key: plain_param(key, value) for key, value in params.items()}


def _json(value: Any) -> str:
    # Sorted keys and no whitespace: the same content always gives the same text.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
