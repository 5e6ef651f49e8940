"""Reference profiles: a compact summary of what a version was trained on, kept for drift checks.

A version's profile is saved at training time as a small JSON artifact beside its package, so
monitoring compares live inputs with training without reading training data again. It holds,
for each model input (as the model sees it: numbers as float64, categories as codes of the
package's vocabulary), the target and the holdout predictions:

* **numeric columns**: ``cuts``, the distinct quantiles of the training values at ``1/bins ..
  (bins-1)/bins``, and ``counts``, how many training values fall in each bin, where bin ``i``
  holds ``cuts[i-1] <= v < cuts[i]`` (bin 0 everything below the first cut, the last bin
  everything from the last cut up). Counts are exact, so a distribution compared at the cut
  points is the training distribution there, not an estimate; on discrete columns (a 0/1 flag,
  a weekday) each value gets its own bin;
* **categorical columns**: the count of each vocabulary code (the vocabulary is the package's);
* for both: non-null count, null count, and for numbers min, max and mean.

``bins`` (default 64) bounds the size: at most about 1.5 KB a numeric column in JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import orjson
import pyarrow as pa

from modelfleet.errors import PackageError

PROFILE_ARTIFACT: Final = "profile"  # the run artifact a profile is saved as
PROFILE_FORMAT: Final = 1
DEFAULT_BINS: Final = 64
MAX_BINS: Final = 1024
MAX_PROFILE_BYTES: Final = 16 << 20  # a profile of 1,000 columns at MAX_BINS stays below this

ColumnKind = Literal["numeric", "categorical"]


@dataclass(frozen=True)
class ColumnProfile:
    """The training distribution of one column (see the module doc for ``cuts``/``counts``)."""

    name: str
    kind: ColumnKind
    count: int  # non-null values
    nulls: int
    counts: tuple[int, ...]  # numeric: len(cuts) + 1 bins; categorical: one per code
    cuts: tuple[float, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    mean: float | None = None

    @property
    def null_rate(self) -> float:
        """Share of nulls among all rows (0.0 for an empty column)."""
        rows = self.count + self.nulls
        return self.nulls / rows if rows else 0.0


@dataclass(frozen=True)
class ReferenceProfile:
    """A version's profile: its inputs, target and holdout predictions."""

    fleet: str
    tenant: str
    rows: int  # training rows profiled (the rows before the holdout)
    features: tuple[ColumnProfile, ...]
    target: ColumnProfile
    predictions: ColumnProfile  # the chosen model's holdout predictions
    bins: int = DEFAULT_BINS

    def feature(self, name: str) -> ColumnProfile:
        """One input column's profile; PackageError naming the columns when it is not kept."""
        for column in self.features:
            if column.name == name:
                return column
        known = ", ".join(c.name for c in self.features)
        raise PackageError(
            f"the profile of {self.fleet}/{self.tenant} has no column {name!r} (it has: {known})"
        )


def bin_index(cuts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each value's bin: the number of cuts at or below it (nulls must be removed first)."""
    return np.searchsorted(cuts, values, side="right")


def numeric_profile(name: str, values: np.ndarray, bins: int = DEFAULT_BINS) -> ColumnProfile:
    """The profile of a numeric column (NaN is null; infinities count in the edge bins)."""
    _check_bins(bins)
    data = np.asarray(values, dtype=np.float64)
    known = data[~np.isnan(data)]
    finite = known[np.isfinite(known)]
    if finite.size:
        levels = np.arange(1, bins) / bins
        cuts = np.unique(np.quantile(finite, levels, method="inverted_cdf"))
    else:
        cuts = np.empty(0)
    counts = np.bincount(bin_index(cuts, known), minlength=cuts.size + 1)
    return ColumnProfile(
        name=name,
        kind="numeric",
        count=int(known.size),
        nulls=int(data.size - known.size),
        counts=tuple(int(c) for c in counts),
        cuts=tuple(float(c) for c in cuts),
        minimum=float(finite.min()) if finite.size else None,
        maximum=float(finite.max()) if finite.size else None,
        mean=float(finite.mean()) if finite.size else None,
    )


def categorical_profile(name: str, codes: np.ndarray, categories: int) -> ColumnProfile:
    """The profile of a column of vocabulary codes (NaN, or a code outside it, is null)."""
    data = np.asarray(codes, dtype=np.float64)
    known = data[~np.isnan(data)]
    inside = known[(known >= 0) & (known < categories)].astype(np.int64)
    counts = np.bincount(inside, minlength=categories)
    return ColumnProfile(
        name=name,
        kind="categorical",
        count=int(inside.size),
        nulls=int(data.size - inside.size),
        counts=tuple(int(c) for c in counts),
    )


def build_profile(
    *,
    fleet: str,
    tenant: str,
    features: pa.Table,
    categorical: Mapping[str, int],
    target_name: str,
    target: np.ndarray,
    predictions: np.ndarray,
    bins: int = DEFAULT_BINS,
) -> ReferenceProfile:
    """The profile of encoded training ``features`` (``categorical``: column -> vocabulary
    size), their ``target``, and the holdout ``predictions``."""
    columns = []
    for name in features.column_names:
        values = features[name].to_numpy(zero_copy_only=False).astype(np.float64)
        if name in categorical:
            columns.append(categorical_profile(name, values, categorical[name]))
        else:
            columns.append(numeric_profile(name, values, bins))
    return ReferenceProfile(
        fleet=fleet,
        tenant=tenant,
        rows=features.num_rows,
        features=tuple(columns),
        target=numeric_profile(target_name, target, bins),
        predictions=numeric_profile("prediction", predictions, bins),
        bins=bins,
    )


def profile_to_json(profile: ReferenceProfile) -> bytes:
    """The profile as its JSON artifact (floats kept exactly: orjson writes the shortest
    text that reads back to the same float)."""
    doc = {
        "format": PROFILE_FORMAT,
        "fleet": profile.fleet,
        "tenant": profile.tenant,
        "rows": profile.rows,
        "bins": profile.bins,
        "features": [_column_doc(c) for c in profile.features],
        "target": _column_doc(profile.target),
        "predictions": _column_doc(profile.predictions),
    }
    return orjson.dumps(doc)


def profile_from_json(blob: bytes, *, where: str = "profile") -> ReferenceProfile:
    """A profile read back from its artifact; PackageError saying what is wrong otherwise."""
    if len(blob) > MAX_PROFILE_BYTES:
        raise PackageError(f"{where}: {len(blob)} bytes, more than a profile can be")
    try:
        doc = orjson.loads(blob)
        if not isinstance(doc, dict) or doc.get("format") != PROFILE_FORMAT:
            found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
            raise PackageError(
                f"{where}: format {found!r} is not profile format {PROFILE_FORMAT}; "
                "retrain with this modelfleet to store a profile it reads"
            )
        return ReferenceProfile(
            fleet=str(doc["fleet"]),
            tenant=str(doc["tenant"]),
            rows=int(doc["rows"]),
            bins=int(doc["bins"]),
            features=tuple(_column_of(c, where) for c in doc["features"]),
            target=_column_of(doc["target"], where),
            predictions=_column_of(doc["predictions"], where),
        )
    except orjson.JSONDecodeError as exc:
        raise PackageError(f"{where}: not JSON ({exc})") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise PackageError(
            f"{where}: damaged profile document ({type(exc).__name__}: {exc})"
        ) from exc


def _check_bins(bins: int) -> None:
    if not 2 <= bins <= MAX_BINS:
        raise PackageError(f"a profile needs between 2 and {MAX_BINS} bins, not {bins}")


def _column_doc(column: ColumnProfile) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": column.name,
        "kind": column.kind,
        "count": column.count,
        "nulls": column.nulls,
        "counts": list(column.counts),
    }
    if column.kind == "numeric":
        doc.update(cuts=list(column.cuts), min=column.minimum, max=column.maximum, mean=column.mean)
    return doc


def _column_of(doc: Mapping[str, Any], where: str) -> ColumnProfile:
    kind = doc["kind"]
    if kind not in ("numeric", "categorical"):
        raise ValueError(f"column kind {kind!r}")
    counts = tuple(int(c) for c in doc["counts"])
    cuts = tuple(float(c) for c in doc.get("cuts", ()))
    if kind == "numeric" and len(counts) != len(cuts) + 1:
        raise ValueError(f"column {doc['name']!r} has {len(cuts)} cuts but {len(counts)} bins")
    if any(c < 0 for c in counts) or sum(counts) != int(doc["count"]):
        raise ValueError(f"column {doc['name']!r}: its bin counts do not add up to its count")
    if list(cuts) != sorted(set(cuts)):
        raise ValueError(f"column {doc['name']!r}: cuts are not strictly increasing")
    return ColumnProfile(
        name=str(doc["name"]),
        kind=kind,
        count=int(doc["count"]),
        nulls=int(doc["nulls"]),
        counts=counts,
        cuts=cuts,
        minimum=_float_or_none(doc.get("min")),
        maximum=_float_or_none(doc.get("max")),
        mean=_float_or_none(doc.get("mean")),
    )


def _float_or_none(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def column_names(profile: ReferenceProfile) -> Sequence[str]:
    """The input columns a profile covers, in the model's order."""
    return [c.name for c in profile.features]
