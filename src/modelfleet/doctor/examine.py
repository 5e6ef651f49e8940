"""Run every check against one metadata store and one artifact store: the doctor's one entry.

Read-only unless ``repair``: then stale runs are marked interrupted and settled temp files
removed, and with ``gc`` unreferenced blobs past the grace period too. The database checks go
first; when the database is unsound or its schema is not at head the other checks are skipped
(their queries would fail or mislead), and the report says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from modelfleet.artifacts import ArtifactStore, open_artifact_store
from modelfleet.doctor.artifacts import check_digests, check_temp_files, check_unreferenced
from modelfleet.doctor.database import check_integrity, check_schema
from modelfleet.doctor.findings import CheckResult, Report
from modelfleet.doctor.registry import check_aliases, check_history
from modelfleet.doctor.runs import check_stale_runs
from modelfleet.errors import UsageError
from modelfleet.store import MetadataStore
from modelfleet.store.audit import (
    alias_moves,
    alias_states,
    open_unmigrated,
    run_digests,
    version_blobs,
)

LATER_CHECKS = (
    "artifacts",
    "aliases",
    "history",
    "stale runs",
    "temp files",
    "unreferenced blobs",
)


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class DoctorOptions:
    """What the doctor may change, and how it reads the artifact store."""

    repair: bool = False
    gc: bool = False
    grace: timedelta = timedelta(hours=24)
    workers: int = 8

    def __post_init__(self) -> None:
        if self.gc and not self.repair:
            raise UsageError("--gc removes unreferenced blobs as a repair: add --repair")
        if self.grace < timedelta(0):
            raise UsageError(f"grace period {self.grace} is negative: give 0 or more")


def examine(
    store_url: str,
    artifacts_url: str,
    options: DoctorOptions | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
) -> Report:
    """Check the store at ``store_url`` and the artifacts at ``artifacts_url``."""
    chosen = options or DoctorOptions()
    started = time.perf_counter()
    with open_unmigrated(store_url) as store:
        artifacts = open_artifact_store(artifacts_url)
        results = [check_integrity(store)]
        if results[0].ok:
            results.append(check_schema(store))
        if all(r.ok for r in results):
            results += _later_checks(store, artifacts, chosen, clock())
        else:
            reason = "skipped: the database must be sound and at head first"
            results += [CheckResult(name, "skipped", 0, reason) for name in LATER_CHECKS]
        shown = store.url
    return Report(shown, artifacts_url, tuple(results), time.perf_counter() - started)


def _later_checks(
    store: MetadataStore, artifacts: ArtifactStore, options: DoctorOptions, now: datetime
) -> list[CheckResult]:
    # References are read before the listing, so a blob written between the two is younger
    # than any grace period and a blob referenced by then is never taken for garbage.
    versions = version_blobs(store)
    moves = alias_moves(store)
    referenced = run_digests(store)
    for v in versions:
        referenced.update(d for d in (v.model_digest, v.meta_digest, v.holdout_digest) if d)
    entries = artifacts.entries()
    return [
        check_digests(artifacts, versions, workers=options.workers),
        check_aliases(alias_states(store), moves),
        check_history(moves),
        check_stale_runs(store, now=now, repair=options.repair),
        check_temp_files(artifacts, entries, now=now, repair=options.repair),
        check_unreferenced(
            artifacts, entries, referenced, now=now, grace=options.grace, gc=options.gc
        ),
    ]
