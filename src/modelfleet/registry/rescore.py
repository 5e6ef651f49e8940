"""Compare a candidate with the version it would replace *on the same holdout*.

A candidate's recorded metrics come from its own holdout; the version live in an environment
was scored on an older one, so comparing recorded numbers compares different weeks. Instead the
incumbent's model is loaded and scored on the candidate's holdout rows (kept with every run as
Parquet: encoded features, ``__timestamp``, ``__target``). Categorical codes are re-mapped from
the candidate's vocabulary to the incumbent's, since each run numbers its categories itself.
When the signatures differ the incumbent cannot read those rows, so the recorded metrics are
compared instead and the note says so.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from modelfleet.config.blocks import PERIOD_DAYS
from modelfleet.errors import TrainingError
from modelfleet.registry.policy import Comparison
from modelfleet.registry.records import ModelVersion
from modelfleet.training.families import resolve_family
from modelfleet.training.frames import HOLDOUT_TARGET, HOLDOUT_TIMESTAMP, FeatureFrame, check_task
from modelfleet.training.metrics import compute_metrics

# Column names of the holdout Parquet written by modelfleet.pipeline.tenant.holdout_bytes.

# Reads an artifact's bytes given (digest, a URI of any artifact in the same store).
ReadArtifact = Callable[[str, str], bytes]


def compare_on_holdout(
    read: ReadArtifact, candidate: ModelVersion, incumbent: ModelVersion, metric: str
) -> Comparison:
    """Score ``incumbent`` on ``candidate``'s holdout; recorded metrics if that is impossible."""
    candidate_score = candidate.metrics.get(metric, float("nan"))
    if incumbent.signature.digest() != candidate.signature.digest():
        return _recorded(
            candidate_score,
            incumbent,
            metric,
            f"signatures differ, so {incumbent.version} cannot score {candidate.version}'s "
            "holdout: compared recorded metrics from different holdouts",
        )
    if candidate.holdout_digest is None or candidate.meta_digest is None:
        return _recorded(
            candidate_score,
            incumbent,
            metric,
            f"{candidate.version} has no holdout artifact: compared recorded metrics",
        )
    uri = candidate.model_uri
    meta = _json(read(candidate.meta_digest, uri))
    incumbent_meta = _json(read(incumbent.meta_digest, uri)) if incumbent.meta_digest else {}
    table = pq.read_table(io.BytesIO(read(candidate.holdout_digest, uri)))
    frame = _frame(table, incumbent, meta, incumbent_meta)
    estimator = resolve_family(incumbent.family).load(read(incumbent.model_digest, uri))
    target = pc.cast(table[HOLDOUT_TARGET], pa.float64()).to_numpy(zero_copy_only=False)
    scores = compute_metrics(
        check_task(meta.get("task")), target, np.asarray(estimator.predict(frame))
    )
    if metric not in scores:
        raise TrainingError(f"metric {metric!r} is not computed for task {meta.get('task')!r}")
    return Comparison(
        incumbent=incumbent.version,
        candidate_score=candidate_score,
        incumbent_score=scores[metric],
        note=f"{incumbent.version} re-scored on {candidate.version}'s holdout, {len(target)} rows",
    )


def _recorded(
    candidate_score: float, incumbent: ModelVersion, metric: str, note: str
) -> Comparison:
    return Comparison(
        incumbent=incumbent.version,
        candidate_score=candidate_score,
        incumbent_score=incumbent.metrics.get(metric, float("nan")),
        note=note,
    )


def _frame(
    table: pa.Table,
    incumbent: ModelVersion,
    meta: Mapping[str, Any],
    incumbent_meta: Mapping[str, Any],
) -> FeatureFrame:
    """The incumbent's inputs, in its signature's order, with categories in its own codes."""
    categorical = tuple(f.name for f in incumbent.signature.inputs if f.categorical)
    columns: dict[str, pa.ChunkedArray] = {}
    for name in incumbent.signature.input_names:
        if name not in table.column_names:
            raise TrainingError(f"holdout has no column {name!r} for {incumbent.ref}")
        column = table[name]
        if name in categorical:
            column = _recode(column, name, meta, incumbent_meta)
        columns[name] = column
    period = np.timedelta64(PERIOD_DAYS.get(str(meta.get("frequency")), 1), "D")
    timestamps = table[HOLDOUT_TIMESTAMP].to_numpy().astype("datetime64[ns]")
    return FeatureFrame(pa.table(columns), timestamps, categorical, period)


def _recode(
    codes: pa.ChunkedArray,
    name: str,
    meta: Mapping[str, Any],
    incumbent_meta: Mapping[str, Any],
) -> pa.ChunkedArray:
    """Candidate category codes -> the incumbent's codes for the same values (unknown: null)."""
    source = (meta.get("vocabulary") or {}).get(name)
    target = (incumbent_meta.get("vocabulary") or {}).get(name)
    if source is None or target is None:
        raise TrainingError(
            f"cannot re-map categorical column {name!r}: a model_meta artifact lacks its vocabulary"
        )
    values = pc.take(pa.array(source, pa.string()), pc.cast(codes, pa.int64()))
    recoded = pc.index_in(values, value_set=pa.array(target, pa.string()))
    return pa.chunked_array([recoded]) if isinstance(recoded, pa.Array) else recoded


def _json(blob: bytes) -> dict[str, Any]:
    data = json.loads(blob)
    if not isinstance(data, dict):
        raise TrainingError("a model_meta artifact is not a JSON object")
    return data
