"""Artifact checks: every version's bytes present and intact, no orphan temp files, no garbage.

Digests are checked once per distinct blob (PATCH versions share their artifacts) by streaming
each file through sha256 on a thread pool: hashlib releases the GIL, so hashing and reading
overlap across files. Temp files and unreferenced blobs come from one listing of the store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Final

from modelfleet.artifacts import ArtifactStore, StoredEntry
from modelfleet.doctor.findings import CheckResult, Finding, result
from modelfleet.errors import ArtifactError, ArtifactIntegrityError, NotFoundError
from modelfleet.store.audit import VersionBlobs

# A temp file younger than this may belong to a write in flight (create, write, fsync and rename
# take milliseconds): it is reported but not removed, so a repair never breaks a live writer.
TEMP_SETTLE: Final = timedelta(seconds=60)


def span(duration: timedelta) -> str:
    """A duration as people write it: ``24h``, ``7d``, ``30m``, ``90s``."""
    seconds = int(duration.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _referenced(versions: Sequence[VersionBlobs]) -> dict[str, list[tuple[VersionBlobs, str]]]:
    """digest -> the (version, artifact name) pairs that reference it."""
    users: dict[str, list[tuple[VersionBlobs, str]]] = defaultdict(list)
    for v in versions:
        for name, digest in (
            ("model", v.model_digest),
            ("model_meta", v.meta_digest),
            ("holdout", v.holdout_digest),
        ):
            if digest:
                users[digest].append((v, name))
    return users


def _verdict(store: ArtifactStore, digest: str) -> str | None:
    """None when the blob is intact, else what is wrong with it."""
    try:
        store.verify(digest)
    except NotFoundError:
        return "missing"
    except ArtifactIntegrityError:
        return "damaged: its bytes no longer match its sha256"
    except ArtifactError as exc:
        return f"unreadable: {exc}"
    return None


def check_digests(
    store: ArtifactStore, versions: Sequence[VersionBlobs], *, workers: int = 8
) -> CheckResult:
    """Every artifact a version references is in ``store`` and hashes to its digest."""
    users = _referenced(versions)
    digests = sorted(users)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        verdicts = list(pool.map(lambda d: _verdict(store, d), digests))
    findings = [
        Finding(
            f"{v.model}:{v.version} artifact {name} (sha256 {digest})",
            f"{verdict}; re-train the tenant or roll back the environments using this version",
        )
        for digest, verdict in zip(digests, verdicts, strict=True)
        if verdict is not None
        for v, name in users[digest]
    ]
    clean = f"{len(digests)} artifacts of {len(versions)} versions intact"
    return result("artifacts", len(digests), findings, clean, "versions' artifacts bad")


def check_temp_files(
    store: ArtifactStore, entries: Sequence[StoredEntry], *, now: datetime, repair: bool
) -> CheckResult:
    """No writer's temp file is left behind; repair removes those older than a minute."""
    temps = [e for e in entries if e.kind == "temp"]
    findings = []
    for entry in temps:
        age = timedelta(seconds=max(0.0, now.timestamp() - entry.modified_at))
        settled = age >= TEMP_SETTLE
        if repair and settled:
            store.discard(entry)
        problem = f"temp file of an interrupted write ({entry.size_bytes} bytes)"
        if not settled:
            problem += f"; {age.total_seconds():.0f} s old, maybe a write in flight: left"
        elif not repair:
            problem += "; --repair removes it"
        findings.append(Finding(entry.key, problem, repaired=repair and settled))
    return result("temp files", len(temps), findings, "no temp files", "temp files")


def check_unreferenced(
    store: ArtifactStore,
    entries: Sequence[StoredEntry],
    referenced: set[str],
    *,
    now: datetime,
    grace: timedelta,
    gc: bool,
) -> CheckResult:
    """Blobs no version or run references, older than ``grace``; ``gc`` removes them.

    A younger one may belong to a run still being recorded, so it is kept and not reported.
    Nothing a version or run references is ever removed: ``referenced`` is read first.
    """
    blobs = [e for e in entries if e.kind == "blob"]
    cutoff = now.timestamp() - grace.total_seconds()
    orphans = [e for e in blobs if e.digest not in referenced]
    after = span(grace)
    old = [e for e in orphans if e.modified_at < cutoff]
    findings = []
    for entry in old:
        if gc:
            store.discard(entry)
        problem = f"{entry.size_bytes} bytes no version or run references, older than {after}"
        findings.append(Finding(entry.key, problem + ("" if gc else "; --gc removes it"), gc))
    young = len(orphans) - len(old)
    kept = f"; {young} newer than {after} kept" if young else ""
    checked = f"{len(blobs)} blobs, none unreferenced past {after}{kept}"
    return result("unreferenced blobs", len(blobs), findings, checked, f"blobs unreferenced{kept}")
