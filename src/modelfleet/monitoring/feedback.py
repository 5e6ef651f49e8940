"""Ground truth that arrives after serving, stored once per (tenant, date), every row counted.

Actuals come three ways and take one path: a file or a SQL query read with the fleet's
observations mapping (:func:`ingest_feedback`, as ``modelfleet predict`` reads rows,
:mod:`modelfleet.data.batch`), or records (:func:`ingest_records`: the REST endpoint and the
Python API). Each is turned into one Arrow table of :data:`ACTUALS` columns, which
:func:`ingest_actuals` counts and writes, vectorised. Every row is accounted for:

* **unknown tenant**: the fleet has no model of it (a typo, a store not onboarded): not stored;
* **invalid**: no value, or not a finite number: not stored;
* **repeated**: the same (tenant, date) more than once in this input: the last one is kept;
* **unchanged**: already stored with the same value: nothing is written;
* **revised**: already stored with another value: replaced (a correction);
* **new**: stored;
* **late**: arrived more than ``max_delay`` after its date (stored all the same; counted, since
  a performance figure of that period reported earlier did not include it).

Records are checked before anything is stored, and a batch with any unusable record (an
unknown or malformed tenant, a value that is not finite, a malformed request id) is refused
whole with every such record named (:class:`FeedbackRecordsError`): a program sending them can
fix and resend, where a file export is counted row by row as it is.

An actual may name the request whose prediction it answers (``request_id``); performance then
scores that request's prediction of the date only (:mod:`.performance`). Actuals are joined
with logged predictions when performance is asked for, so an actual that arrives before its
prediction is logged still counts once the prediction is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.config.feature_blocks import parse_duration
from modelfleet.config.spec import FleetSpec
from modelfleet.data.batch import BatchLocation, read_batch
from modelfleet.data.canonical import TENANT_COLUMN
from modelfleet.errors import UsageError
from modelfleet.quoting import excerpt
from modelfleet.registry.queries import VersionQuery
from modelfleet.registry.reads import search
from modelfleet.store import ActualRow, MetadataStore
from modelfleet.tenant_ids import CHARS_PATTERN, tenant_id_problem

DEFAULT_MAX_DELAY = timedelta(days=30)
# The serving request-id rule (an X-Request-ID the prediction server accepts), so every id a
# prediction was logged under can be named, and nothing else.
REQUEST_ID_PATTERN: Final = r"^[A-Za-z0-9._-]{1,64}$"
ACTUALS: Final = pa.schema(
    [
        ("tenant", pa.string()),
        ("ts", pa.timestamp("us", "UTC")),
        ("value", pa.float64()),
        ("request_id", pa.string()),
    ]
)
SHOWN_PROBLEMS: Final = 5  # records named in one error message (the error lists all)


@dataclass(frozen=True)
class FeedbackReport:
    """What one batch of actuals did: every row counted in exactly one way (module doc)."""

    fleet: str
    source: str
    rows: int
    new: int
    revised: int
    unchanged: int
    repeated: int
    late: int
    unknown_tenants: Mapping[str, int] = field(default_factory=dict)  # tenant -> rows
    invalid: Mapping[str, int] = field(default_factory=dict)  # tenant -> rows
    failed: Mapping[str, str] = field(default_factory=dict)  # tenant -> why the reader refused it

    @property
    def stored(self) -> int:
        """Rows written (new and revised)."""
        return self.new + self.revised


@dataclass(frozen=True)
class Actual:
    """One observed value of a tenant's target at ``ts`` (a date, or a time; naive is UTC),
    optionally naming the request whose prediction it answers."""

    tenant: str
    ts: datetime | date
    value: float
    request_id: str | None = None


@dataclass(frozen=True)
class RecordProblem:
    """Why record ``index`` of a batch cannot be used: its ``field`` and what is wrong."""

    index: int
    field: str
    message: str


class FeedbackRecordsError(UsageError):
    """Records that cannot be used; the batch was refused whole and nothing of it stored."""

    def __init__(self, fleet: str, problems: Sequence[RecordProblem]) -> None:
        self.problems = tuple(problems)
        shown = "; ".join(
            f"records.{p.index}.{p.field}: {p.message}" for p in problems[:SHOWN_PROBLEMS]
        )
        more = len(problems) - SHOWN_PROBLEMS
        tail = f"; and {more} more unusable record(s)" if more > 0 else ""
        super().__init__(
            f"feedback for fleet {fleet!r} refused, nothing stored: {shown}{tail}; fix these "
            "records and send the batch again"
        )


def known_tenants(store: MetadataStore, fleet: str) -> frozenset[str]:
    """The tenants ``fleet`` has a model of: actuals of any other tenant are not stored."""
    return frozenset(v.tenant for v in search(store, VersionQuery(fleet=fleet, limit=None)))


def ingest_feedback(
    store: MetadataStore,
    spec: FleetSpec,
    where: BatchLocation,
    *,
    source: str | None = None,
    now: datetime | None = None,
    max_delay: timedelta = DEFAULT_MAX_DELAY,
) -> FeedbackReport:
    """Read actuals from ``where`` with the fleet's mapping and store them (module doc)."""
    batch = read_batch(spec, where, source)
    target, timestamp = spec.data_schema.target, spec.data_schema.timestamp
    table = batch.table
    if target not in table.column_names:
        raise UsageError(
            f"the feedback input has no {target!r} column (the fleet's target, as its "
            f"observations source maps it): send the observed values under that name"
        )
    actuals = pa.table(
        {
            "tenant": table[TENANT_COLUMN].cast(pa.string()),
            "ts": _utc(table[timestamp]),
            "value": pc.cast(table[target], pa.float64()),
            "request_id": pa.nulls(table.num_rows, pa.string()),
        },
        schema=ACTUALS,
    )
    label = str(where.path) if where.path is not None else "query"
    return ingest_actuals(
        store,
        spec.name,
        actuals,
        label=label,
        now=now,
        max_delay=max_delay,
        failed=batch.failed,
    )


def ingest_records(
    store: MetadataStore,
    spec: FleetSpec,
    records: Sequence[Actual],
    *,
    label: str,
    now: datetime | None = None,
) -> FeedbackReport:
    """Check ``records`` (all or none: :class:`FeedbackRecordsError` names each unusable one)
    and store them with the spec's lateness setting."""
    if not records:
        raise UsageError(f"feedback for fleet {spec.name!r} has no records: send at least one")
    table = actuals_table(records)
    known = known_tenants(store, spec.name)
    problems = record_problems(table, known, spec.name)
    if problems:
        raise FeedbackRecordsError(spec.name, problems)
    delay = parse_duration(spec.monitoring.performance.max_delay)
    return ingest_actuals(
        store, spec.name, table, label=label, now=now, max_delay=delay, known=known
    )


def actuals_table(records: Sequence[Actual]) -> pa.Table:
    """Records as one :data:`ACTUALS` table (dates at midnight UTC, naive times read as UTC)."""
    try:
        return pa.table(
            {
                "tenant": pa.array([r.tenant for r in records], pa.string()),
                "ts": pa.array([_aware(r.ts) for r in records], pa.timestamp("us", "UTC")),
                "value": pa.array([r.value for r in records], pa.float64()),
                "request_id": pa.array([r.request_id for r in records], pa.string()),
            },
            schema=ACTUALS,
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, AttributeError) as exc:
        raise UsageError(
            "feedback records need a text tenant, a date or datetime ts, a number value and "
            f"an optional text request_id ({excerpt(str(exc))})"
        ) from None


def _aware(ts: datetime | date) -> datetime:
    """A date or a time as an aware UTC datetime (a date is its midnight; naive is UTC)."""
    if not isinstance(ts, datetime):
        return datetime(ts.year, ts.month, ts.day, tzinfo=UTC)
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def record_problems(table: pa.Table, known: Collection[str], fleet: str) -> list[RecordProblem]:
    """Every unusable record of an :data:`ACTUALS` table, in record order (checked for all
    records at once; only the bad ones get a message)."""
    tenant = table["tenant"]
    valid_id = pc.and_(
        pc.match_substring_regex(tenant, f"^{CHARS_PATTERN}$"),
        pc.invert(pc.is_in(tenant, value_set=pa.array([".", ".."]))),
    )
    is_known = pc.is_in(tenant, value_set=pa.array(sorted(known), pa.string()))
    values = table["value"].to_numpy(zero_copy_only=False)
    request_id = table["request_id"]
    good_request = pc.or_kleene(
        pc.is_null(request_id), pc.match_substring_regex(request_id, REQUEST_ID_PATTERN)
    )
    bad_id = ~_mask(valid_id)
    unknown = ~bad_id & ~_mask(is_known)
    bad_value = ~np.isfinite(values.astype(np.float64, copy=False))
    bad_request = ~_mask(good_request)
    names = tenant.to_pylist() if bad_id.any() or unknown.any() else []
    requests = request_id.to_pylist() if bad_request.any() else []
    problems = []
    for i in np.flatnonzero(bad_id | unknown | bad_value | bad_request).tolist():
        if bad_id[i]:
            problem = tenant_id_problem(names[i]) or "is not valid"
            problems.append(RecordProblem(i, "tenant", f"tenant id {excerpt(names[i])} {problem}"))
        elif unknown[i]:
            problems.append(
                RecordProblem(
                    i,
                    "tenant",
                    f"fleet {fleet!r} has no model of tenant {excerpt(names[i])} (check the "
                    "tenant key)",
                )
            )
        if bad_value[i]:
            problems.append(RecordProblem(i, "value", "is not a finite number"))
        if bad_request[i]:
            problems.append(
                RecordProblem(
                    i,
                    "request_id",
                    f"{excerpt(str(requests[i]))} is not a request id (1 to 64 ASCII letters, "
                    "digits, '.', '_' or '-', as the prediction server gives)",
                )
            )
    return problems


def _mask(flags: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A boolean Arrow column as a numpy mask (null counts as False)."""
    return np.asarray(pc.fill_null(flags, False).to_numpy(zero_copy_only=False), dtype=bool)


def ingest_actuals(
    store: MetadataStore,
    fleet: str,
    table: pa.Table,
    *,
    label: str,
    now: datetime | None = None,
    max_delay: timedelta = DEFAULT_MAX_DELAY,
    failed: Mapping[str, str] | None = None,
    known: Collection[str] | None = None,
) -> FeedbackReport:
    """Count and store an :data:`ACTUALS` table (the one path of files, queries and records;
    ``known``: the fleet's tenants, when the caller has read them already)."""
    now = now or datetime.now(UTC)
    rows = table.num_rows
    tenant = table["tenant"]
    known = known_tenants(store, fleet) if known is None else known
    is_known = _mask(pc.is_in(tenant, value_set=pa.array(sorted(known), pa.string())))
    values = np.asarray(table["value"].to_numpy(zero_copy_only=False), dtype=np.float64)
    finite = np.isfinite(values)
    names = np.asarray(tenant.to_pylist(), dtype=object)
    unknown = Counter(names[~is_known].tolist())
    invalid = Counter(names[is_known & ~finite].tolist())
    valid = is_known & finite
    keep = pa.array(valid)
    kept = pa.table(
        {
            "tenant": tenant.filter(keep),
            "ts": table["ts"].filter(keep),
            "value": pa.array(values[valid]),
            "request_id": table["request_id"].filter(keep),
            "row": pa.array(np.flatnonzero(valid)),
        }
    )
    last = kept.group_by(["tenant", "ts"]).aggregate([("row", "max")])
    unique = kept.filter(pc.is_in(kept["row"], value_set=last["row_max"]))
    counts = _write(store, fleet, unique, now, label)
    stamps = unique["ts"].to_numpy(zero_copy_only=False).astype("datetime64[us]")
    late = int((np.datetime64(now.replace(tzinfo=None), "us") - stamps > max_delay).sum())
    return FeedbackReport(
        fleet=fleet,
        source=label,
        rows=rows,
        new=counts[0],
        revised=counts[1],
        unchanged=counts[2],
        repeated=kept.num_rows - unique.num_rows,
        late=late,
        unknown_tenants=dict(unknown),
        invalid=dict(invalid),
        failed=dict(failed or {}),
    )


def _utc(stamps: pa.ChunkedArray) -> pa.Array:
    """Dates or times as UTC timestamps in microseconds (the log's clock)."""
    if pa.types.is_timestamp(stamps.type) and stamps.type.tz is not None:
        stamps = pc.cast(stamps, pa.timestamp("us", "UTC"))
    else:
        stamps = pc.assume_timezone(pc.cast(stamps, pa.timestamp("us")), "UTC")
    return pa.concat_arrays(stamps.chunks) if stamps.num_chunks else pa.array([], stamps.type)


def _write(
    store: MetadataStore, fleet: str, rows: pa.Table, now: datetime, label: str
) -> tuple[int, int, int]:
    """(new, revised, unchanged) after comparing ``rows`` with what is stored."""
    if rows.num_rows == 0:
        return 0, 0, 0
    tenants = sorted(set(rows["tenant"].to_pylist()))
    stamps = rows["ts"].to_pylist()
    stored = store.stored_actuals(fleet, tenants, min(stamps), max(stamps))
    before = pa.table(
        {
            "tenant": pa.array([t for t, _, _ in stored], pa.string()),
            "ts": pa.array([s for _, s, _ in stored], pa.timestamp("us", "UTC")),
            "stored": pa.array([v for _, _, v in stored], pa.float64()),
        }
    )
    joined = rows.join(before, keys=["tenant", "ts"], join_type="left outer")
    old = joined["stored"].to_numpy(zero_copy_only=False)
    new_value = joined["value"].to_numpy()
    is_new = np.isnan(old)
    same = ~is_new & (old == new_value)
    revised = ~is_new & ~same
    # The store's comparison reads values only, so an unchanged value naming a request id is
    # rewritten too: the request id kept is the one last sent (still counted unchanged).
    named = _mask(pc.is_valid(joined["request_id"]))

    def records(mask: np.ndarray) -> list[ActualRow]:
        picked = joined.filter(pa.array(mask))
        return [
            ActualRow(fleet, t, ts, v, rid, now, label)
            for t, ts, v, rid in zip(
                picked["tenant"].to_pylist(),
                picked["ts"].to_pylist(),
                picked["value"].to_pylist(),
                picked["request_id"].to_pylist(),
                strict=True,
            )
        ]

    store.write_actuals(records(is_new), records(revised | (same & named)))
    return int(is_new.sum()), int(revised.sum()), int(same.sum())
