"""A trained model as one typed object: the estimator and its metadata, saved side by side.

:class:`ModelPackage` is what training produces and what rescoring, registration and serving
read: it encodes raw rows the way the model was trained (:meth:`ModelPackage.encode`),
predicts, and saves itself as two content-addressed artifacts. The estimator bytes are the
family's own safe format (for LightGBM, plain LightGBM model text that
``lightgbm.Booster(model_file=...)`` loads); the metadata is a small JSON document beside it
(:mod:`modelfleet.training.package_meta`). Loading never unpickles anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pyarrow as pa

from modelfleet.artifacts import ArtifactRef, ArtifactStore
from modelfleet.errors import PackageError, TrainingError
from modelfleet.training.families import Estimator, resolve_family
from modelfleet.training.frames import FeatureFrame
from modelfleet.training.package_meta import (
    FORMAT_VERSION,
    PackageMetadata,
    build_vocabulary,
    encode_features,
    metadata_from_json,
    metadata_to_json,
    signature_of,
)

__all__ = [
    "FORMAT_VERSION",
    "BlobSource",
    "ModelPackage",
    "PackageMetadata",
    "PackageRefs",
    "build_vocabulary",
    "encode_features",
    "load_metadata",
    "signature_of",
]


class BlobSource(Protocol):
    """Anything that returns verified bytes by digest: an artifact store, or a registry reader."""

    def get_bytes(self, digest: str) -> bytes:
        """The bytes stored under ``digest``."""
        ...


@dataclass(frozen=True)
class PackageRefs:
    """Where :meth:`ModelPackage.save` put the estimator bytes and the metadata document."""

    model: ArtifactRef
    meta: ArtifactRef


@dataclass(frozen=True, eq=False)  # an estimator has no meaningful ==
class ModelPackage:
    """A fitted estimator plus everything needed to feed it: columns, vocabulary, signature."""

    estimator: Estimator
    meta: PackageMetadata

    def __post_init__(self) -> None:
        if self.estimator.family != self.meta.family:
            raise PackageError(
                f"a {self.estimator.family!r} estimator cannot be packaged with metadata of "
                f"family {self.meta.family!r}"
            )

    def encode(self, table: pa.Table) -> pa.Table:
        """Raw rows as model inputs: category codes in this model's vocabulary, numbers float64."""
        return self.meta.encode(table)

    def frame(self, table: pa.Table, timestamps: np.ndarray | None = None) -> FeatureFrame:
        """Encoded rows as a frame; timestamps from ``timestamps`` or the timestamp column."""
        if timestamps is None:
            if self.meta.timestamp not in table.column_names:
                raise TrainingError(
                    f"rows have no timestamp column {self.meta.timestamp!r}; pass timestamps"
                )
            timestamps = table[self.meta.timestamp].to_numpy()
        stamps = np.asarray(timestamps).astype("datetime64[ns]")
        return FeatureFrame(self.encode(table), stamps, self.meta.categorical, self.meta.period)

    def predict(self, table: pa.Table, timestamps: np.ndarray | None = None) -> np.ndarray:
        """Predictions for raw rows (regression: values; binary: probability of class 1)."""
        return np.asarray(self.estimator.predict(self.frame(table, timestamps)))

    def save(self, store: ArtifactStore) -> PackageRefs:
        """Write the estimator bytes, then the metadata naming their digest; both idempotent.

        The estimator goes first so a metadata document never points at bytes not yet stored.
        """
        model = store.put_bytes(self.estimator.to_bytes())
        meta = store.put_bytes(metadata_to_json(self.meta, model.digest))
        return PackageRefs(model=model, meta=meta)

    @classmethod
    def load(
        cls, store: BlobSource, meta_digest: str, *, model_digest: str | None = None
    ) -> ModelPackage:
        """The package whose metadata is ``meta_digest``, with the estimator it names.

        ``model_digest``, when given (e.g. a registered version's), must be the one the
        metadata names. Metadata of any known format loads, including format 0.
        """
        meta, recorded = metadata_from_json(store.get_bytes(meta_digest))
        if model_digest is not None and model_digest != recorded:
            raise PackageError(
                f"model package metadata {meta_digest} describes estimator {recorded}, not the "
                f"requested {model_digest}: the version points at mismatched artifacts"
            )
        estimator = resolve_family(meta.family).load(store.get_bytes(recorded))
        if meta.pooled is not None:
            estimator = _bind_pooled(estimator, meta)
        return cls(estimator, meta)


def _bind_pooled(estimator: Estimator, meta: PackageMetadata) -> Estimator:
    """The shared pooled booster bound to the tenant the metadata describes."""
    # Imported here: only pooled packages need LightGBM at load time.
    from modelfleet.training.pooled import PooledBooster, layout_of

    if not isinstance(estimator, PooledBooster) or meta.pooled is None:
        raise PackageError(
            f"model package of {meta.fleet}/{meta.tenant} has pooled inputs but its estimator "
            f"is a {estimator.family!r} model, not the shared pooled booster"
        )
    layout = layout_of(estimator.estimator, meta.feature_columns, meta.pooled)
    return estimator.bind(meta.pooled, layout)


def load_metadata(store: BlobSource, meta_digest: str) -> PackageMetadata:
    """Only the metadata of a saved package (no estimator bytes are read)."""
    meta, _ = metadata_from_json(store.get_bytes(meta_digest))
    return meta
