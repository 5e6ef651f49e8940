"""What a trained model needs besides its estimator: inputs, encoding vocabulary, signature.

:class:`PackageMetadata` is saved as a small JSON document beside the estimator bytes (never
inside them, so a LightGBM model file stays loadable by LightGBM alone). It also knows how raw
rows become model inputs (:meth:`PackageMetadata.encode`), because the vocabulary that numbers
the categories is part of it.

The JSON is a superset of the ``model_meta`` dict the pipeline wrote before packages existed
(``task``, ``frequency``, ``vocabulary``, ``signature`` and the rest keep their names and
shapes), so older readers still understand new files; a file without ``format_version`` is
such an older one and reads as format 0.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.config.blocks import PERIOD_DAYS
from modelfleet.config.spec import Frequency, Task
from modelfleet.errors import PackageError, TrainingError
from modelfleet.tracking.signature import Signature, SignatureField
from modelfleet.training.package_fields import LEGACY_FORMAT, MetaFields

FORMAT_VERSION: Final = 2
# Format 1: every package before pooled models; still written when a package is not pooled, so
# readers that know format 1 keep loading per-tenant and baseline packages.
PLAIN_FORMAT: Final = 1
_OUTPUT_TYPE: Final = "float64"  # predictions are float64 for every task


@dataclass(frozen=True)
class PooledInputs:
    """What the fleet's pooled model needs of one tenant besides its rows.

    ``scale`` is the tenant's training mean of the target: the pooled model learnt targets and
    ``scaled`` (target-derived) columns divided by it, so one model fits big and small tenants.
    ``attributes`` are the tenant's static values as the pooled model's inputs (category codes
    in the pooled vocabulary, or numbers; null when unknown).
    """

    scale: float
    scaled: tuple[str, ...]
    attributes: Mapping[str, float | None]

    def __post_init__(self) -> None:
        object.__setattr__(self, "scaled", tuple(self.scaled))
        object.__setattr__(self, "attributes", dict(self.attributes))
        if not (np.isfinite(self.scale) and self.scale > 0):
            raise PackageError(f"pooled scale must be a positive number, got {self.scale!r}")


@dataclass(frozen=True)
class PackageMetadata:
    """Everything about a trained model but its weights; JSON-able, validated on construction.

    ``vocabulary`` maps each categorical column to the sorted values seen in training (a value's
    position is its code); ``feature_views`` names the feature view versions the training rows
    came from. ``profile`` is reserved for the reference data profile that comes with the
    monitoring work; it is stored and returned as given and nothing reads it yet.
    """

    fleet: str
    tenant: str
    family: str
    task: Task
    frequency: Frequency
    horizon: int
    timestamp: str
    target: str
    feature_columns: tuple[str, ...]
    categorical: tuple[str, ...]
    vocabulary: Mapping[str, tuple[str, ...]]
    signature: Signature
    feature_views: tuple[tuple[str, str], ...] = ()
    profile: Mapping[str, Any] | None = field(default=None, compare=False)
    pooled: PooledInputs | None = None  # set for a tenant's view of the fleet's pooled model

    def __post_init__(self) -> None:
        # Normalising a frozen dataclass during construction, so equal content compares equal.
        object.__setattr__(self, "feature_columns", tuple(self.feature_columns))
        object.__setattr__(self, "categorical", tuple(self.categorical))
        object.__setattr__(
            self, "vocabulary", {name: tuple(v) for name, v in self.vocabulary.items()}
        )
        object.__setattr__(self, "feature_views", tuple(sorted(self.feature_views)))
        self._check_consistent()

    def _check_consistent(self) -> None:
        """Columns, categoricals, vocabulary and signature must describe the same inputs."""
        stray = [name for name in self.categorical if name not in self.feature_columns]
        if stray:
            raise PackageError(f"categorical columns {stray} are not among the feature columns")
        if set(self.vocabulary) != set(self.categorical):
            raise PackageError(
                f"vocabulary covers {sorted(self.vocabulary)} but the categorical columns are "
                f"{sorted(self.categorical)}: every categorical column needs exactly one"
            )
        for name, values in self.vocabulary.items():
            if len(set(values)) != len(values):
                raise PackageError(f"vocabulary of {name!r} repeats values, so codes are ambiguous")
        if self.signature.input_names != self.feature_columns:
            raise PackageError(
                f"signature inputs {list(self.signature.input_names)} differ from the feature "
                f"columns {list(self.feature_columns)}"
            )
        if self.pooled is not None:
            stray = [name for name in self.pooled.scaled if name not in self.feature_columns]
            if stray:
                raise PackageError(f"pooled scaled columns {stray} are not feature columns")
        flagged = tuple(f.name for f in self.signature.inputs if f.categorical)
        if set(flagged) != set(self.categorical):
            raise PackageError(
                f"signature marks {sorted(flagged)} categorical but the package "
                f"{sorted(self.categorical)}"
            )

    @classmethod
    def from_training(
        cls,
        rows: pa.Table,
        *,
        fleet: str,
        tenant: str,
        family: str,
        task: Task,
        frequency: Frequency,
        horizon: int,
        timestamp: str,
        target: str,
        feature_columns: Sequence[str],
        categorical: Sequence[str],
        feature_views: Sequence[tuple[str, str]] = (),
    ) -> PackageMetadata:
        """Describe a model trained on ``rows`` (raw, unencoded): vocabulary and signature."""
        columns, categories = tuple(feature_columns), tuple(categorical)
        return cls(
            fleet=fleet,
            tenant=tenant,
            family=family,
            task=task,
            frequency=frequency,
            horizon=horizon,
            timestamp=timestamp,
            target=target,
            feature_columns=columns,
            categorical=categories,
            vocabulary=build_vocabulary(rows, categories),
            signature=signature_of(rows.schema, columns, categories, target),
            feature_views=tuple(feature_views),
        )

    @property
    def period(self) -> np.timedelta64:
        """One step of the tenant's series (a day or a week)."""
        return np.timedelta64(PERIOD_DAYS[self.frequency], "D")

    def encode(self, table: pa.Table) -> pa.Table:
        """Model inputs from raw rows: the feature columns in order, as the model was trained."""
        missing = [name for name in self.feature_columns if name not in table.column_names]
        if missing:
            raise TrainingError(
                f"rows lack feature columns {missing} that the {self.family} model of "
                f"{self.fleet}/{self.tenant} was trained with"
            )
        return encode_features(table, self.feature_columns, self.categorical, self.vocabulary)

    def decode_categories(self, encoded: pa.Table) -> pa.Table:
        """Undo :meth:`encode` for categoricals: codes back to their values (numbers stay).

        Another package's :meth:`encode` can then number them in its own vocabulary, which is
        how one model scores rows another model's vocabulary encoded.
        """
        columns: dict[str, pa.ChunkedArray | pa.Array] = {}
        for name in encoded.column_names:
            column = encoded[name]
            if name in self.vocabulary:
                values = pa.array(self.vocabulary[name], pa.string())
                column = pc.take(values, pc.cast(column, pa.int64()))
            columns[name] = column
        return pa.table(columns)


def build_vocabulary(table: pa.Table, categorical: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The sorted category values seen in ``table``, per categorical column (nulls left out)."""
    vocab: dict[str, tuple[str, ...]] = {}
    for name in categorical:
        values = pc.unique(pc.cast(table[name], pa.string())).drop_null()
        vocab[name] = tuple(sorted(values.to_pylist()))
    return vocab


def encode_features(
    table: pa.Table,
    columns: Sequence[str],
    categorical: Sequence[str],
    vocab: Mapping[str, Sequence[str]],
) -> pa.Table:
    """Model inputs as numbers: categories become codes in ``vocab`` (unknown -> null).

    One vectorised Arrow kernel per column: ``index_in`` for categories, a cast to float64
    for everything else.
    """
    arrays: dict[str, pa.Array | pa.ChunkedArray] = {}
    for name in columns:
        column = table[name]
        if name in categorical:
            values = pc.cast(column, pa.string())
            arrays[name] = pc.index_in(values, value_set=pa.array(list(vocab[name]), pa.string()))
        elif column.type == pa.float64():
            arrays[name] = column  # already what the model reads (served records are)
        else:
            arrays[name] = pc.cast(column, pa.float64())
    return pa.table(arrays)


def signature_of(
    schema: pa.Schema, columns: Sequence[str], categorical: Sequence[str], target: str
) -> Signature:
    """The inputs (raw Arrow types, in training order) and the float64 output of a model."""
    return Signature(
        tuple(
            SignatureField(name, str(schema.field(name).type), name in categorical)
            for name in columns
        ),
        SignatureField(target, _OUTPUT_TYPE),
    )


# -- JSON -------------------------------------------------------------------------------------


def metadata_to_json(meta: PackageMetadata, model_digest: str) -> bytes:
    """The metadata document saved beside the estimator whose bytes hash to ``model_digest``."""
    doc: dict[str, Any] = {
        "format_version": PLAIN_FORMAT if meta.pooled is None else FORMAT_VERSION,
        "fleet": meta.fleet,
        "tenant": meta.tenant,
        "family": meta.family,
        "task": meta.task,
        "frequency": meta.frequency,
        "horizon": meta.horizon,
        "timestamp": meta.timestamp,
        "target": meta.target,
        "feature_columns": list(meta.feature_columns),
        "categorical": list(meta.categorical),
        "vocabulary": {name: list(values) for name, values in meta.vocabulary.items()},
        "signature": meta.signature.to_dict(),
        "feature_views": dict(meta.feature_views),
        "model_digest": model_digest,
    }
    if meta.profile is not None:
        doc["profile"] = dict(meta.profile)
    if meta.pooled is not None:
        doc["pooled"] = {
            "scale": meta.pooled.scale,
            "scaled": list(meta.pooled.scaled),
            "attributes": dict(meta.pooled.attributes),
        }
    return json.dumps(doc, sort_keys=True, indent=1).encode()


def metadata_from_json(blob: bytes) -> tuple[PackageMetadata, str]:
    """Parse and validate a metadata document: the metadata and its estimator's digest.

    Unknown keys are ignored (a later minor change may add some); a missing or mistyped field,
    an unknown ``format_version`` or inconsistent inputs raise :class:`PackageError` naming it.
    """
    try:
        doc = json.loads(blob)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PackageError(f"model package metadata is not valid JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise PackageError(
            f"model package metadata must be a JSON object, got {type(doc).__name__}"
        )
    fields = MetaFields(doc, _format_version(doc))
    # Read every field first, so a field's error is not mistaken for an inconsistency.
    fleet, tenant, family = fields.text("fleet"), fields.text("tenant"), fields.text("family")
    task, frequency, horizon = fields.task(), fields.frequency(), fields.positive_int("horizon")
    timestamp, target = fields.text("timestamp"), fields.text("target")
    columns, categorical = fields.texts("feature_columns"), fields.texts("categorical")
    vocabulary, signature = fields.vocabulary("vocabulary"), fields.signature("signature")
    views, profile = fields.feature_views("feature_views"), fields.optional_object("profile")
    model_digest = fields.digest("model_digest")
    pooled = fields.pooled("pooled")
    try:
        meta = PackageMetadata(
            fleet=fleet,
            tenant=tenant,
            family=family,
            task=task,
            frequency=frequency,
            horizon=horizon,
            timestamp=timestamp,
            target=target,
            feature_columns=columns,
            categorical=categorical,
            vocabulary=vocabulary,
            signature=signature,
            feature_views=views,
            profile=profile,
            pooled=None if pooled is None else PooledInputs(*pooled),
        )
    except PackageError as exc:
        raise PackageError(f"{fields.label} is inconsistent: {exc}") from exc
    return meta, model_digest


def _format_version(doc: Mapping[str, Any]) -> int:
    """The document's format: 0 when absent (written before packages), else a known version."""
    version = doc.get("format_version", LEGACY_FORMAT)
    if isinstance(version, bool) or not isinstance(version, int):
        raise PackageError(
            f"model package metadata: field 'format_version' must be an integer, got {version!r}"
        )
    if not LEGACY_FORMAT <= version <= FORMAT_VERSION:
        raise PackageError(
            f"model package metadata has format_version {version}, but this modelfleet reads "
            f"versions {LEGACY_FORMAT} to {FORMAT_VERSION}: upgrade modelfleet to load it"
        )
    return version
