"""Each registered tenant's recent rows, kept in the online store so serving can forecast.

A forecast for date t reads the target's history as of its origin t - horizon (lags, rolling
windows) exactly as training did. The server has no training data, so ``train`` leaves it, per
tenant it registers, the rows it will need: every canonical column (with its Arrow type) of the
last ``lookback + 2 x horizon`` periods, where ``lookback`` is the longest lag or window. The
rows travel as one Arrow IPC stream per tenant (a string column of the online store's
``__mf_history.<fleet>`` view), so the server rebuilds features with training's own code on
the very same types, and a forecast equals what training would have predicted.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.config.blocks import PERIOD_DAYS
from modelfleet.config.spec import FleetSpec, Frequency
from modelfleet.data.canonical import TENANT_COLUMN, FleetData
from modelfleet.errors import FeatureError
from modelfleet.features.online.backends import open_online_store
from modelfleet.features.online.base import (
    ENTITY_KEY_COLUMN,
    EVENT_TS_COLUMN,
    OnlineStore,
    ViewKey,
)

HISTORY_PREFIX: Final = "__mf_history."
HISTORY_VERSION: Final = "1"
ROWS_COLUMN: Final = "rows"
COMPLETE_KEY: Final = b"modelfleet.history_complete"


def history_view(fleet: str) -> ViewKey:
    """The online view holding a fleet's recent rows per tenant."""
    return ViewKey(HISTORY_PREFIX + fleet, HISTORY_VERSION)


def lookback_periods(spec: FleetSpec) -> int:
    """Periods of history one forecast origin reads: the longest lag or rolling window."""
    features = spec.features
    return max([1, *features.lags, *(r.window for r in features.rolling)])


def kept_periods(spec: FleetSpec) -> int:
    """Periods kept per tenant: enough to forecast the holdout's dates and the next horizon."""
    return lookback_periods(spec) + 2 * spec.validation.horizon + 1


def encode_rows(table: pa.Table) -> str:
    """Rows as base64 text of an Arrow IPC stream (types and nulls kept exactly)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return base64.b64encode(sink.getvalue().to_pybytes()).decode("ascii")


def decode_rows(text: str) -> pa.Table:
    """The rows :func:`encode_rows` wrote."""
    try:
        return pa.ipc.open_stream(base64.b64decode(text.encode("ascii"))).read_all()
    except (ValueError, pa.ArrowInvalid) as exc:
        raise FeatureError(f"stored tenant history is unreadable ({exc}); re-run train") from exc


def recent_rows(
    data: FleetData, specs: Mapping[str, FleetSpec], frequency: Frequency
) -> dict[str, pa.Table]:
    """Each tenant's last :func:`kept_periods` periods of rows (tenants of ``specs`` only)."""
    names = pa.array(sorted(specs))
    table = data.table.filter(pc.is_in(data.table[TENANT_COLUMN], names))
    if table.num_rows == 0:
        return {}
    any_spec = next(iter(specs.values()))
    timestamp = any_spec.data_schema.timestamp
    stamps = table[timestamp].to_numpy().astype("datetime64[us]").astype(np.int64)
    encoded = pc.dictionary_encode(table[TENANT_COLUMN]).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    tenants = encoded.dictionary.to_pylist()
    last = np.full(len(tenants), np.iinfo(np.int64).min)
    np.maximum.at(last, codes, stamps)
    step = int(timedelta(days=PERIOD_DAYS[frequency]) / timedelta(microseconds=1))
    keep_for = np.array([kept_periods(specs[t]) for t in tenants], dtype=np.int64) * step
    kept = table.filter(pa.array(stamps > (last - keep_for)[codes]))
    kept_codes = codes[stamps > (last - keep_for)[codes]]
    order = np.argsort(kept_codes, kind="stable")
    kept, kept_codes = kept.take(pa.array(order)), kept_codes[order]
    ends = np.cumsum(np.bincount(kept_codes, minlength=len(tenants)))
    starts = np.concatenate([[0], ends[:-1]])
    first = np.full(len(tenants), np.iinfo(np.int64).max)
    np.minimum.at(first, codes, stamps)
    # A tenant whose whole history fits is kept whole: every date it has can be forecast.
    whole = first > last - keep_for
    result: dict[str, pa.Table] = {}
    for code in range(len(tenants)):  # slices of one sorted table: no copy per tenant
        if ends[code] > starts[code]:
            part = kept.slice(int(starts[code]), int(ends[code] - starts[code]))
            flag = b"true" if whole[code] else b"false"
            result[tenants[code]] = part.replace_schema_metadata({COMPLETE_KEY: flag})
    return result


def is_complete(rows: pa.Table) -> bool:
    """Whether ``rows`` are the tenant's whole history (nothing older was left out)."""
    metadata = rows.schema.metadata or {}
    return metadata.get(COMPLETE_KEY) == b"true"


def materialize_history(
    online_url: str, fleet: str, rows: Mapping[str, pa.Table], timestamp: str
) -> int:
    """Write each tenant's recent rows to the online store; the number of tenants written."""
    if not rows:
        return 0
    tenants: list[str] = []
    events: list[int] = []
    texts: list[str] = []
    for tenant, table in rows.items():  # one IPC stream per tenant: a loop over tenants
        stamps = table[timestamp].to_numpy().astype("datetime64[us]").astype(np.int64)
        tenants.append(tenant)
        events.append(int(stamps.max()))
        texts.append(encode_rows(table))
    payload = pa.table(
        {
            ENTITY_KEY_COLUMN: pa.array(tenants, pa.string()),
            EVENT_TS_COLUMN: pa.array(events, pa.int64()),
            ROWS_COLUMN: pa.array(texts, pa.string()),
        }
    )
    store = open_online_store(online_url)
    try:
        return store.write(history_view(fleet), payload)
    finally:
        store.close()


def read_history(store: OnlineStore, fleet: str, tenants: Iterable[str]) -> dict[str, pa.Table]:
    """The stored recent rows of ``tenants`` (absent tenants are left out)."""
    names = list(tenants)
    found = store.read(history_view(fleet), [ROWS_COLUMN], names)
    return {
        name: decode_rows(str(row.values[0]))
        for name, row in zip(names, found, strict=True)
        if row is not None and row.values[0] is not None
    }
