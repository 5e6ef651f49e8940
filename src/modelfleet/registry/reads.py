"""Reading the registry: resolve references, list versions, history and search.

Also the one door to a version's artifact bytes (:class:`VersionArtifacts`): whoever reads them
(``models show``, cards, serving, batch scoring, export) goes through it, so every reader checks
the sha256 the version recorded and a damaged or missing artifact is refused with one message
naming the model, the version, the artifact and what to do.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from modelfleet.artifacts import ArtifactStore, open_artifact_store, store_root_of
from modelfleet.errors import ArtifactIntegrityError, NotFoundError, UsageError
from modelfleet.registry.backend import missing
from modelfleet.registry.codec import to_event, to_version
from modelfleet.registry.queries import VersionQuery
from modelfleet.registry.records import (
    ModelEvent,
    ModelVersion,
)
from modelfleet.registry.refs import parse_ref, split_model
from modelfleet.store import MetadataStore, MetricCondition
from modelfleet.store import VersionQuery as VersionRowQuery
from modelfleet.training.package import ModelPackage

# The artifacts a version records, by the names runs give them.
MODEL_ARTIFACT: Final = "model"
META_ARTIFACT: Final = "model_meta"
HOLDOUT_ARTIFACT: Final = "holdout"


def resolve(store: MetadataStore, ref: str) -> ModelVersion:
    """The version a reference names; an alias is one indexed lookup."""
    parsed = parse_ref(ref)
    if parsed.alias is not None:
        row = store.version_by_alias(parsed.model, parsed.alias)
        if row is not None:
            return to_version(row)
        with store.registry(f"describe {parsed.model}") as tx:
            raise missing(tx, parsed.model, f"alias {parsed.alias!r}")
    with store.registry(f"resolve {parsed}") as tx:
        if parsed.version is not None:
            found = tx.version_by_key(parsed.model, parsed.version.key)
        else:
            found = tx.latest_version(parsed.model, include_archived=False)
        if found is None:
            what = f"version {parsed.version}" if parsed.version else "version that is not archived"
            raise missing(tx, parsed.model, what)
    return to_version(found)


def versions(store: MetadataStore, model: str) -> list[ModelVersion]:
    """Every version of a model, newest first; NotFoundError for a model never registered."""
    split_model(model)
    with store.registry(f"list versions of {model}") as tx:
        rows = tx.versions_of(model)
        if not rows and not tx.model_exists(model):
            raise missing(tx, model, "versions")
    return [to_version(row) for row in rows]


def history(store: MetadataStore, model: str, limit: int | None) -> list[ModelEvent]:
    """A model's events, newest first; NotFoundError for a model that never had any."""
    split_model(model)
    if limit is not None and limit < 0:
        raise UsageError(f"limit={limit}: give zero or more, or None for all")
    with store.registry(f"read the history of {model}") as tx:
        events = tx.events(model=model, limit=limit)
        if not events and limit != 0:
            raise missing(tx, model, "history")
    return [to_event(event) for event in events]


def search(store: MetadataStore, query: VersionQuery) -> list[ModelVersion]:
    """Versions matching every filter of ``query``, in one SQL query."""
    rows_query = VersionRowQuery(
        fleet=query.fleet,
        tenant=query.tenant,
        tags=tuple(sorted(query.tags.items())),
        alias=query.environment,
        status=query.status,
        metrics=tuple(
            MetricCondition(f.scope, f.metric, f.op, f.value) for f in query.metric_filters
        ),
        latest_only=query.latest_only,
        limit=query.limit,
    )
    with store.registry("search model versions") as tx:
        rows = tx.search(rows_query)
    return [to_version(row) for row in rows]


# ------------------------------------------------------------------------------ artifacts
def version_artifacts(version: ModelVersion) -> dict[str, str]:
    """The artifacts ``version`` references: name -> sha256 (optional ones only if recorded)."""
    named = {
        MODEL_ARTIFACT: version.model_digest,
        META_ARTIFACT: version.meta_digest,
        HOLDOUT_ARTIFACT: version.holdout_digest,
    }
    return {name: digest for name, digest in named.items() if digest}


def refused_artifact(
    version: ModelVersion, name: str, digest: str, cause: Exception
) -> ArtifactIntegrityError:
    """The error for a version whose artifact is missing or no longer matches its sha256."""
    state = (
        "is missing from the artifact store"
        if isinstance(cause, NotFoundError)
        else "is damaged: its bytes no longer match the sha256 the version recorded"
    )
    return ArtifactIntegrityError(
        f"model {version.model} version {version.version}: artifact {name!r} (sha256 {digest}) "
        f"{state}, so the version is refused and never served. Run `modelfleet doctor` to list "
        f"every damaged artifact; then re-train the tenant (`modelfleet train --tenant "
        f"{version.tenant}`) or roll back the environments that use it (`modelfleet rollback "
        f"{version.model} --env <env>`). ({cause})"
    )


class ArtifactStores:
    """Artifact stores opened once and shared: the configured one, else the one a URI names."""

    def __init__(self, artifacts_url: str | None = None) -> None:
        self._url = artifacts_url
        self._lock = threading.Lock()
        self._stores: dict[str, ArtifactStore] = {}

    def of(self, version: ModelVersion) -> ArtifactStore:
        """The store holding ``version``'s artifacts."""
        url = self._url or store_root_of(version.model_uri)
        with self._lock:
            store = self._stores.get(url)
            if store is None:
                store = self._stores[url] = open_artifact_store(url)
            return store


class VersionArtifacts:
    """A version's artifact bytes, each checked against the sha256 the version recorded.

    Reading (:meth:`get_bytes`) hashes the very bytes it returns, so a reader that needs them
    pays one read; :meth:`verify` streams every artifact through the hash without keeping it.
    """

    def __init__(self, version: ModelVersion, stores: ArtifactStores) -> None:
        self.version = version
        self._store = stores.of(version)
        self._names = {digest: name for name, digest in version_artifacts(version).items()}

    def get_bytes(self, digest: str) -> bytes:
        """The bytes of one of the version's artifacts; ArtifactIntegrityError if bad or gone."""
        with self._refusing(digest):
            return self._store.get_bytes(digest)

    def verify(self) -> None:
        """Check every artifact the version references (streamed, nothing kept in memory)."""
        for digest in self._names:
            with self._refusing(digest):
                self._store.verify(digest)

    def load_package(self) -> ModelPackage:
        """The version's model package (estimator and metadata), verified as it is read."""
        if self.version.meta_digest is None:
            raise ArtifactIntegrityError(
                f"model {self.version.model} version {self.version.version} records no "
                f"{META_ARTIFACT!r} artifact, so its package cannot be loaded; re-train the "
                f"tenant (`modelfleet train --tenant {self.version.tenant}`)"
            )
        return ModelPackage.load(
            self, self.version.meta_digest, model_digest=self.version.model_digest
        )

    @contextmanager
    def _refusing(self, digest: str) -> Iterator[None]:
        try:
            yield
        except (NotFoundError, ArtifactIntegrityError) as exc:
            name = self._names.get(digest, "artifact")
            raise refused_artifact(self.version, name, digest, exc) from exc
