"""Database checks: the engine's own integrity check, and the schema at the head revision."""

from __future__ import annotations

from modelfleet.doctor.findings import CheckResult, Finding, result
from modelfleet.store import MetadataStore
from modelfleet.store.audit import integrity_problems
from modelfleet.store.migrate import HEAD_REVISION


def check_integrity(store: MetadataStore) -> CheckResult:
    """SQLite's ``integrity_check`` (PostgreSQL: that it answers) finds nothing wrong."""
    problems = integrity_problems(store)
    findings = [Finding(store.url, problem) for problem in problems]
    clean = f"{store.backend}: integrity check ok" if store.backend == "sqlite" else "reachable"
    return result("database", 1, findings, clean, "integrity problems (restore a backup)")


def check_schema(store: MetadataStore) -> CheckResult:
    """The schema is at the revision this modelfleet writes (``HEAD_REVISION``)."""
    revision = store.schema_revision()
    if revision == HEAD_REVISION:
        return CheckResult("schema", "ok", 1, f"at head ({HEAD_REVISION})")
    shown = "empty (never opened by modelfleet)" if revision is None else f"at {revision}"
    finding = Finding(
        store.url,
        f"schema {shown}, not at head {HEAD_REVISION}: run any modelfleet command on it (for "
        "example `modelfleet runs fleets`) to migrate it, then run doctor again",
    )
    return result("schema", 1, [finding], "", "schema behind head")
