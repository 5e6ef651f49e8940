"""Ground truth that arrives after serving, read in the fleet's own format and stored once.

:func:`ingest_feedback` reads a file or a SQL query with the fleet's observations mapping (as
``modelfleet predict`` does, :mod:`modelfleet.data.batch`): the tenant key, the date and the
target column are what counts. Every row is accounted for:

* **unknown tenant**: the fleet has no model of it (a typo, a store not onboarded): not stored;
* **invalid**: no value, or not a finite number: not stored;
* **repeated**: the same (tenant, date) more than once in this input: the last one is kept;
* **unchanged**: already stored with the same value: nothing is written;
* **revised**: already stored with another value: replaced (a correction);
* **new**: stored;
* **late**: arrived more than ``max_delay`` after its date (stored all the same; counted, since
  a performance figure of that period reported earlier did not include it).

Actuals are joined with logged predictions later, by (tenant, date), when performance is asked
for (:mod:`.performance`), so an actual that arrives before its prediction is logged still
counts once the prediction is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.config.spec import FleetSpec
from modelfleet.data.batch import BatchLocation, read_batch
from modelfleet.data.canonical import TENANT_COLUMN
from modelfleet.errors import UsageError
from modelfleet.registry.queries import VersionQuery
from modelfleet.registry.reads import search
from modelfleet.store import ActualRow, MetadataStore

DEFAULT_MAX_DELAY = timedelta(days=30)


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
    now = now or datetime.now(UTC)
    batch = read_batch(spec, where, source)
    target, timestamp = spec.data_schema.target, spec.data_schema.timestamp
    table = batch.table
    if target not in table.column_names:
        raise UsageError(
            f"the feedback input has no {target!r} column (the fleet's target, as its "
            f"observations source maps it): send the observed values under that name"
        )
    label = str(where.path) if where.path is not None else "query"
    rows = table.num_rows
    tenant = table[TENANT_COLUMN].cast(pa.string())
    known = {v.tenant for v in search(store, VersionQuery(fleet=spec.name, limit=None))}
    is_known = pc.is_in(tenant, value_set=pa.array(sorted(known), pa.string()))
    unknown = Counter(pc.filter(tenant, pc.invert(is_known)).to_pylist())
    values = pc.cast(table[target], pa.float64()).to_numpy(zero_copy_only=False)
    finite = np.isfinite(np.nan_to_num(values, nan=np.inf))
    valid = np.asarray(is_known.to_numpy(zero_copy_only=False), dtype=bool) & finite
    bad = np.asarray(is_known.to_numpy(zero_copy_only=False), dtype=bool) & ~finite
    invalid = Counter(np.asarray(tenant.to_pylist(), dtype=object)[bad].tolist())
    kept = pa.table(
        {
            "tenant": tenant.filter(pa.array(valid)),
            "ts": _utc(table[timestamp].filter(pa.array(valid))),
            "value": pa.array(values[valid]),
            "row": pa.array(np.flatnonzero(valid)),
        }
    )
    last = kept.group_by(["tenant", "ts"]).aggregate([("row", "max")])
    unique = kept.filter(pc.is_in(kept["row"], value_set=last["row_max"]))
    counts = _write(store, spec.name, unique, now, label)
    stamps = unique["ts"].to_numpy(zero_copy_only=False).astype("datetime64[us]")
    late = int((np.datetime64(now.replace(tzinfo=None), "us") - stamps > max_delay).sum())
    return FeedbackReport(
        fleet=spec.name,
        source=label,
        rows=rows,
        new=counts[0],
        revised=counts[1],
        unchanged=counts[2],
        repeated=kept.num_rows - unique.num_rows,
        late=late,
        unknown_tenants=dict(unknown),
        invalid=dict(invalid),
        failed=dict(batch.failed),
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

    def records(mask: np.ndarray) -> list[ActualRow]:
        picked = joined.filter(pa.array(mask))
        return [
            ActualRow(fleet, t, ts, v, None, now, label)
            for t, ts, v in zip(
                picked["tenant"].to_pylist(),
                picked["ts"].to_pylist(),
                picked["value"].to_pylist(),
                strict=True,
            )
        ]

    store.write_actuals(records(is_new), records(revised))
    return int(is_new.sum()), int(revised.sum()), int(same.sum())
