"""Scoring a tenant's live model: resolve the environment's alias, load (cached), check, predict.

:class:`Scorer` is the one code path behind the prediction server and the Python client: it
needs only the metadata store (which version an environment's alias names) and the artifact
store (the version's package); never the raw training data. An alias is re-read at most every
``alias_ttl_seconds``, so a promotion or rollback made by any process is served within that
time, while a request in flight keeps the version it resolved.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from modelfleet.errors import ArtifactIntegrityError, InputError
from modelfleet.registry.reads import ArtifactStores, VersionArtifacts, resolve
from modelfleet.registry.records import ModelVersion
from modelfleet.registry.refs import check_alias, model_name
from modelfleet.scoring.cache import CacheStats, Loaded, ModelCache
from modelfleet.scoring.explain import Explanation
from modelfleet.scoring.explain import explain as explain_rows
from modelfleet.scoring.inputs import records_table
from modelfleet.scoring.watch import RegistryWatch
from modelfleet.store import MetadataStore
from modelfleet.training.package import ModelPackage

DEFAULT_MAX_MODELS = 2_000
DEFAULT_MAX_MODEL_BYTES = 1 << 30  # 1 GiB of model artifacts
DEFAULT_ALIAS_TTL_SECONDS = 1.0
DEFAULT_MAX_RECORDS = 10_000


# Builds the rows to score for the version being served: (raw input rows, their timestamps).
RowBuilder = Callable[[ModelPackage, ModelVersion], tuple[pa.Table, np.ndarray]]


@dataclass(frozen=True)
class ScoringLimits:
    """Bounds of one scorer: the cache, how stale an alias may be, records per request."""

    max_models: int = DEFAULT_MAX_MODELS
    max_model_bytes: int = DEFAULT_MAX_MODEL_BYTES
    alias_ttl_seconds: float = DEFAULT_ALIAS_TTL_SECONDS
    max_records: int = DEFAULT_MAX_RECORDS


@dataclass(frozen=True, eq=False)
class Prediction:
    """One request's answer: a value per record, and which model version gave them."""

    request_id: str
    model: str
    version: str
    environment: str
    arm: str
    timestamps: np.ndarray  # datetime64[ns], one per record
    values: np.ndarray  # float64, one per record
    seconds: float
    explanation: Explanation | None = None  # with explain: contributions per record


class _CountingSource:
    """A version's artifacts, counting the bytes read (the cache's size of the package)."""

    def __init__(self, artifacts: VersionArtifacts) -> None:
        self._artifacts = artifacts
        self.size_bytes = 0

    def get_bytes(self, digest: str) -> bytes:
        blob = self._artifacts.get_bytes(digest)
        self.size_bytes += len(blob)
        return blob


class _AliasTable:
    """Which version an environment's alias names, re-read when the registry changed."""

    def __init__(self, store: MetadataStore, watch: RegistryWatch) -> None:
        self._store, self._watch = store, watch
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[int, ModelVersion]] = {}

    def peek(self, model: str, environment: str) -> ModelVersion | None:
        """The version resolved in this generation, or None (nothing is queried)."""
        generation = self._watch.peek()
        with self._lock:
            hit = self._seen.get(f"{model}@{environment}")
        if generation is None or hit is None or hit[0] != generation:
            return None
        return hit[1]

    def resolve(self, model: str, environment: str) -> ModelVersion:
        ref = f"{model}@{environment}"
        generation = self._watch.generation()
        with self._lock:
            hit = self._seen.get(ref)
        if hit is not None and hit[0] == generation:
            return hit[1]
        version = resolve(self._store, ref)  # NotFoundError names the model and alias
        with self._lock:
            self._seen[ref] = (generation, version)
        return version


class Scorer:
    """Predictions from each tenant's model in an environment, for any number of tenants."""

    def __init__(
        self,
        store: MetadataStore,
        artifacts: ArtifactStores,
        limits: ScoringLimits | None = None,
    ) -> None:
        self.limits = limits or ScoringLimits()
        self._artifacts = artifacts
        self.watch = RegistryWatch(store, self.limits.alias_ttl_seconds)
        self._aliases = _AliasTable(store, self.watch)
        self.cache = ModelCache(self.limits.max_models, self.limits.max_model_bytes)

    def version(self, fleet: str, tenant: str, alias: str) -> ModelVersion:
        """The version ``alias`` (an environment, a challenger) names (NotFoundError if none)."""
        return self._aliases.resolve(model_name(fleet, tenant), check_alias(alias))

    def warm(self, fleet: str, tenant: str, alias: str) -> bool:
        """Whether scoring with ``alias`` needs no query and no load (its model is cached)."""
        version = self._aliases.peek(model_name(fleet, tenant), alias)
        return version is not None and self.cache.holds(_cache_key(version))

    def package(self, version: ModelVersion) -> ModelPackage:
        """The version's package, from the cache or loaded (and checksummed) now."""

        def load() -> Loaded:
            source = _CountingSource(VersionArtifacts(version, self._artifacts))
            if version.meta_digest is None:
                raise ArtifactIntegrityError(
                    f"model {version.model} version {version.version} records no model_meta "
                    f"artifact, so it cannot be served; re-train the tenant (`modelfleet train "
                    f"--tenant {version.tenant}`)"
                )
            package = ModelPackage.load(
                source, version.meta_digest, model_digest=version.model_digest
            )
            return Loaded(package, source.size_bytes)

        return self.cache.get(_cache_key(version), load)

    def predict(
        self,
        fleet: str,
        tenant: str,
        environment: str,
        records: Sequence[Any],
        request_id: str | None = None,
        *,
        explain: bool = False,
        alias: str | None = None,
        arm: str = "champion",
    ) -> Prediction:
        """Score ``records`` (input fields and the timestamp) with the environment's model.

        ``alias`` scores with the version another alias names instead (a challenger), and
        ``arm`` says which routing arm the answer is recorded under.
        """
        if len(records) > self.limits.max_records:
            raise InputError(
                f"{len(records)} records in one request; at most {self.limits.max_records}: "
                "split the batch, or use batch scoring for files",
                ((("records",), f"has more than {self.limits.max_records} items", "too_long"),),
            )

        def rows(package: ModelPackage, version: ModelVersion) -> tuple[pa.Table, np.ndarray]:
            return records_table(records, package.meta, model=version.model)

        return self.score(
            fleet, tenant, environment, rows, request_id, explain=explain, alias=alias, arm=arm
        )

    def score(
        self,
        fleet: str,
        tenant: str,
        environment: str,
        rows: RowBuilder,
        request_id: str | None = None,
        *,
        explain: bool = False,
        alias: str | None = None,
        arm: str = "champion",
    ) -> Prediction:
        """Score the rows ``rows`` builds for the served version (records, forecast dates)."""
        started = time.perf_counter()
        version = self.version(fleet, tenant, alias or environment)
        package = self.package(version)
        table, stamps = rows(package, version)
        # Models take rows in time order; answers go back in the order the rows came.
        order = np.argsort(stamps, kind="stable")
        ordered, ordered_stamps = table.take(pa.array(order)), stamps[order]
        values = np.empty(len(order))
        values[order] = package.predict(ordered, ordered_stamps)
        explanation = None
        if explain:
            found = explain_rows(package, ordered, ordered_stamps)
            explanation = found.reordered(np.argsort(order, kind="stable"))
        return Prediction(
            request_id=request_id or uuid.uuid4().hex,
            model=version.model,
            version=str(version.version),
            environment=environment,
            arm=arm,
            timestamps=stamps,
            values=values,
            seconds=time.perf_counter() - started,
            explanation=explanation,
        )

    def stats(self) -> CacheStats:
        """The model cache's counts and bounds."""
        return self.cache.stats()


def _cache_key(version: ModelVersion) -> str:
    return f"{version.model}:{version.version}"
