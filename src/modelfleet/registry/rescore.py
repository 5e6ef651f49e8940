"""Compare a candidate with the version it would replace *on the same holdout*.

A candidate's recorded metrics come from its own holdout; the version live in an environment
was scored on an older one, so comparing recorded numbers compares different weeks. Instead the
incumbent's model package is loaded and scored on the candidate's holdout rows (kept with every
run as Parquet: encoded features, ``__timestamp``, ``__target``). Each run numbers its
categories itself, so the candidate package's vocabulary turns the codes back into values and
the incumbent package encodes them in its own. When the signatures differ the incumbent cannot
read those rows, so the recorded metrics are compared instead and the note says so.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from modelfleet.errors import PackageError, TrainingError
from modelfleet.registry.policy import Comparison
from modelfleet.registry.records import ModelVersion
from modelfleet.training.frames import HOLDOUT_TARGET, HOLDOUT_TIMESTAMP
from modelfleet.training.metrics import compute_metrics
from modelfleet.training.package import ModelPackage

# Reads an artifact's bytes given (digest, a URI of any artifact in the same store).
ReadArtifact = Callable[[str, str], bytes]


@dataclass(frozen=True)
class BoundReader:
    """A :data:`ReadArtifact` bound to one store, as package loading reads blobs."""

    read: ReadArtifact
    uri: str  # any artifact of the store the blobs are in

    def get_bytes(self, digest: str) -> bytes:
        """The bytes of ``digest`` from the store ``uri`` is in."""
        return self.read(digest, self.uri)


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
    if incumbent.meta_digest is None:
        raise PackageError(f"{incumbent.ref} has no model_meta artifact to load its package from")
    blobs = BoundReader(read, candidate.model_uri)
    ours = ModelPackage.load(blobs, candidate.meta_digest, model_digest=candidate.model_digest)
    theirs = ModelPackage.load(blobs, incumbent.meta_digest, model_digest=incumbent.model_digest)
    table = pq.read_table(io.BytesIO(blobs.get_bytes(candidate.holdout_digest)))
    # The holdout holds the candidate's codes: back to category values, then the incumbent
    # package encodes them in its own vocabulary (values it never saw become null).
    rows = ours.meta.decode_categories(table.drop_columns([HOLDOUT_TARGET, HOLDOUT_TIMESTAMP]))
    predictions = theirs.predict(rows, table[HOLDOUT_TIMESTAMP].to_numpy())
    target = pc.cast(table[HOLDOUT_TARGET], pa.float64()).to_numpy(zero_copy_only=False)
    scores = compute_metrics(ours.meta.task, target, predictions)
    if metric not in scores:
        raise TrainingError(f"metric {metric!r} is not computed for task {ours.meta.task!r}")
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
