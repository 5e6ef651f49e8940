"""Side-by-side comparison of runs for ``modelfleet runs compare``: a pure function over records."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from modelfleet.tracking.records import ParamValue, TenantRunRecord

Section: TypeAlias = Literal["run", "metric", "baseline", "param"]
Cell: TypeAlias = ParamValue  # None where a run lacks the key


@dataclass(frozen=True)
class ComparisonRow:
    """One key across all compared runs; ``differs`` flags rows worth a reader's attention."""

    section: Section
    key: str
    values: tuple[Cell, ...]
    differs: bool


@dataclass(frozen=True)
class ComparisonTable:
    """Runs as columns, metrics and params as rows, in a stable order."""

    run_ids: tuple[str, ...]
    columns: tuple[str, ...]  # "tenant@shortid" labels, one per run
    rows: tuple[ComparisonRow, ...]

    def section(self, name: Section) -> tuple[ComparisonRow, ...]:
        """The rows of one section."""
        return tuple(row for row in self.rows if row.section == name)

    def differing(self) -> tuple[ComparisonRow, ...]:
        """Only the rows whose values are not all equal."""
        return tuple(row for row in self.rows if row.differs)


_RUN_FIELDS: tuple[tuple[str, Callable[[TenantRunRecord], Cell]], ...] = (
    ("tenant", lambda r: r.tenant),
    ("fleet", lambda r: r.fleet),
    ("environment", lambda r: r.environment),
    ("status", lambda r: r.status),
    ("model_family", lambda r: r.model_family),
    ("started_at", lambda r: r.started_at.isoformat()),
    ("duration_seconds", lambda r: r.duration_seconds),
    ("data_fingerprint", lambda r: r.data_fingerprint),
    ("config_hash", lambda r: r.config_hash),
    ("code_version", lambda r: r.code_version),
)


def compare_runs(records: Sequence[TenantRunRecord]) -> ComparisonTable:
    """Lay runs side by side: run facts, candidate and baseline metrics, then params."""
    if not records:
        return ComparisonTable(run_ids=(), columns=(), rows=())
    rows: list[ComparisonRow] = [
        _row("run", name, [get(record) for record in records]) for name, get in _RUN_FIELDS
    ]
    rows += _mapping_rows("metric", [record.metrics for record in records])
    rows += _mapping_rows("baseline", [record.baseline_metrics for record in records])
    rows += _mapping_rows("param", [record.params for record in records])
    return ComparisonTable(
        run_ids=tuple(record.run_id for record in records),
        columns=tuple(f"{record.tenant}@{record.short_id}" for record in records),
        rows=tuple(rows),
    )


def _mapping_rows(section: Section, mappings: Sequence[Mapping[str, Cell]]) -> list[ComparisonRow]:
    keys = sorted({key for mapping in mappings for key in mapping})
    return [_row(section, key, [mapping.get(key) for mapping in mappings]) for key in keys]


def _row(section: Section, key: str, values: Sequence[Cell]) -> ComparisonRow:
    return ComparisonRow(section, key, tuple(values), differs=_differs(values))


def _differs(values: Sequence[Cell]) -> bool:
    # NaN equals NaN here: two runs that both failed to compute a metric do not differ.
    def normal(value: Cell) -> object:
        return "nan" if isinstance(value, float) and math.isnan(value) else value

    first = [normal(value) for value in values[:1]]
    return any(normal(value) != first[0] for value in values[1:]) if first else False
