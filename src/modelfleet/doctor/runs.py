"""Run checks: no fleet run is left marked ``running`` after its owner died."""

from __future__ import annotations

from datetime import datetime

from modelfleet.doctor.findings import CheckResult, Finding, result
from modelfleet.store import MetadataStore
from modelfleet.tracking.codec import to_fleet_record
from modelfleet.tracking.lease import Owner, is_stale


def check_stale_runs(
    store: MetadataStore, *, now: datetime, repair: bool, here: Owner | None = None
) -> CheckResult:
    """Fleet runs whose owner is gone (the lease rules of ``runs fleets``); repair interrupts them.

    Marking a stale run interrupted is what the next ``train`` of its fleet would do anyway, so
    it is a safe repair: the run's recorded tenants stay, and a re-run trains the rest.
    """
    me = here or Owner.this_process()
    running = [to_fleet_record(row) for row in store.list_fleet_runs(None, None, running_only=True)]
    findings = []
    for run in running:
        if not is_stale(run, now=now, here=me):
            continue
        if repair:
            store.interrupt_fleet_run(run.id, now, with_counts=True)
        owner = f"{run.owner_host or '?'} pid {run.owner_pid or '?'}"
        findings.append(
            Finding(
                f"fleet run {run.id} ({run.fleet}, {run.environment})",
                f"marked running but its owner ({owner}) is gone; "
                + ("marked interrupted" if repair else "--repair marks it interrupted"),
                repaired=repair,
            )
        )
    clean = f"{len(running)} running, none stale" if running else "no fleet run is running"
    return result("stale runs", len(running), findings, clean, "stale fleet runs")
