"""Batch scoring: every tenant's rows of an input file, forecast with its live version.

Per tenant, its rows go through the same forecast path as the server (stored history, the
fleet's feature build, the environment's version), so batch and server answers are equal. A
tenant that cannot be scored (no version in the environment, no stored history, a bad cell, a
date out of range) is listed with the reason and never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.config.spec import FleetSpec
from modelfleet.data.canonical import TENANT_COLUMN
from modelfleet.errors import ModelfleetError
from modelfleet.features.online.base import OnlineStore
from modelfleet.scoring.forecaster import forecast
from modelfleet.scoring.log import PredictionLog
from modelfleet.scoring.service import Prediction, Scorer

PREDICTION_COLUMN = "prediction"


@dataclass
class BatchResult:
    """Scored rows (tenant, timestamp, prediction, model, version) and the tenants that failed."""

    parts: list[pa.Table] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    scored: int = 0

    def table(self, timestamp: str) -> pa.Table:
        """Every scored row, by tenant then time."""
        empty = pa.table(
            {
                TENANT_COLUMN: pa.array([], pa.string()),
                timestamp: pa.array([], pa.timestamp("us")),
                PREDICTION_COLUMN: pa.array([], pa.float64()),
                "model": pa.array([], pa.string()),
                "version": pa.array([], pa.string()),
            }
        )
        return pa.concat_tables([empty, *self.parts]) if self.parts else empty


def _records(rows: pa.Table, timestamp: str) -> list[dict[str, object]]:
    """A tenant's input rows as forecast records (ISO timestamps; key columns left out)."""
    stamps = rows[timestamp].to_numpy().astype("datetime64[s]").astype(str)
    body: list[dict[str, object]] = rows.drop_columns([TENANT_COLUMN, timestamp]).to_pylist()
    for record, stamp in zip(body, stamps, strict=True):
        record[timestamp] = stamp
    return body


def score_batch(
    scorer: Scorer,
    online: OnlineStore,
    spec: FleetSpec,
    environment: str,
    table: pa.Table,
    *,
    log: PredictionLog | None = None,
    advance: Callable[[str], None] = lambda tenant: None,
) -> BatchResult:
    """Forecast every tenant's rows of ``table`` (canonical columns, one tenant after another)."""
    schema = spec.data_schema
    result = BatchResult()
    covariates = [
        c for c in table.column_names if c in spec.features.covariates or c in schema.columns
    ]
    keep = [
        TENANT_COLUMN,
        schema.timestamp,
        *[c for c in covariates if c not in schema.tenant_key and c != schema.target],
    ]
    table = table.select([c for c in keep if c in table.column_names])
    encoded = pc.dictionary_encode(table[TENANT_COLUMN]).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")
    table, codes = table.take(pa.array(order)), codes[order]
    ends = np.cumsum(np.bincount(codes, minlength=len(encoded.dictionary)))
    for code, tenant in enumerate(encoded.dictionary.to_pylist()):  # a loop over tenants
        start = 0 if code == 0 else int(ends[code - 1])
        rows = table.slice(start, int(ends[code]) - start)
        records = _records(rows, schema.timestamp)
        try:
            prediction = forecast(scorer, online, spec, tenant, environment, records=records)
        except ModelfleetError as exc:
            result.failed[tenant] = exc.message
        else:
            result.parts.append(_scored(tenant, prediction, schema.timestamp))
            result.scored += len(records)
            if log is not None:
                log.submit(spec.name, tenant, prediction, records)
        advance(tenant)
    return result


def _scored(tenant: str, prediction: Prediction, timestamp: str) -> pa.Table:
    count = len(prediction.values)
    return pa.table(
        {
            TENANT_COLUMN: pa.array([tenant] * count, pa.string()),
            timestamp: pa.array(prediction.timestamps.astype("datetime64[us]")),
            PREDICTION_COLUMN: pa.array(prediction.values, pa.float64()),
            "model": pa.array([prediction.model] * count, pa.string()),
            "version": pa.array([prediction.version] * count, pa.string()),
        }
    )
