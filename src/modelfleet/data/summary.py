"""Fleet-level summaries of per-tenant findings that share one cause.

When every tenant of a fleet has repeated timestamps, the cause is almost always the spec (the
tenant key is coarser than the rows, e.g. store over store x department rows), not thousands of
separate data problems. One fleet-level finding says so, with counts and a few cited lines.
"""

from __future__ import annotations

from collections.abc import Sequence

from modelfleet.config.spec import SchemaSpec, SourceSpec
from modelfleet.data.canonical import MAX_EXAMPLES, Finding
from modelfleet.quoting import listing


def duplicate_summary(
    findings: Sequence[Finding],
    schema: SchemaSpec,
    sources: Sequence[SourceSpec],
    *,
    tenants: int,
) -> Finding | None:
    """One fleet-level finding when most of the ``tenants`` have repeated timestamps, else None.

    A tenant or two with repeats is a data problem of theirs; half the fleet or more is a spec
    problem (a key or period coarser than the rows), and only then is the summary added.
    """
    repeated = [f for f in findings if f.check == "duplicates" and f.column is None and f.tenant]
    if len(repeated) < max(2, tenants / 2):
        return None
    timestamps = sum(f.count for f in repeated)
    examples = tuple(e for f in repeated[:MAX_EXAMPLES] for e in f.examples[:1])
    names = [s.name for s in sources if s.kind == "observations" and s.aggregate is None]
    where = f"sources[{names[0]}]" if names else "the observations source"
    key = ", ".join(schema.tenant_key)
    return Finding(
        tenant=None,
        check="duplicates",
        severity="error",
        column=None,
        count=len(repeated),
        message=(
            f"{len(repeated):,} tenant(s) have several rows for one timestamp "
            f"({timestamps:,} timestamp(s) in all), e.g. {listing(examples, len(repeated))}. "
            f"The rows are finer than the tenant key ({key}) and period: roll them up with "
            f"aggregate: in {where} (e.g. aggregate: {{columns: {{{schema.target}: sum}}}}), "
            "or use a finer schema.tenant_key"
        ),
        examples=examples,
    )
