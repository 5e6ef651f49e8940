"""The model registry: versions of every tenant's model, environment aliases, promotion, history.

:class:`Registry` is the one entry point for the pipeline, the CLI, the REST control plane and
users; its methods check their arguments and hand over to one module per concern
(:mod:`.registration`, :mod:`.reads`, :mod:`.lifecycle`, :mod:`.promotion`). Every write takes
a ``caller`` (who: a :class:`~modelfleet.caller.Caller` or a principal's name) and most a
``reason`` (why); each goes through :func:`~modelfleet.registry.writes.write`, which asks the
policy, locks the models and stamps every event with the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from modelfleet.artifacts import ArtifactStore, open_artifact_store, store_root_of
from modelfleet.caller import ALLOW_ALL, Action, Caller, Policy
from modelfleet.config.serving_blocks import RoutingSpec
from modelfleet.errors import UsageError
from modelfleet.registry import lifecycle, promotion, reads
from modelfleet.registry import traffic as traffic_writes
from modelfleet.registry.backend import Backend, as_caller, version_row
from modelfleet.registry.codec import to_version
from modelfleet.registry.policy import PromotionPolicy
from modelfleet.registry.queries import VersionQuery
from modelfleet.registry.records import (
    ModelEvent,
    ModelVersion,
    PromotionBatch,
    PromotionOutcome,
    SemVer,
    Signature,
)
from modelfleet.registry.refs import check_alias, split_model
from modelfleet.registry.registration import check_registrable, patch_in, register_in
from modelfleet.registry.rescore import BoundReader
from modelfleet.registry.traffic import TrafficSetting
from modelfleet.registry.writes import write
from modelfleet.store import MetadataStore, open_store
from modelfleet.tracking.records import TenantRunRecord
from modelfleet.training.package import load_metadata


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class Registry:
    """Model versions, aliases, promotions and their history in one metadata store."""

    def __init__(
        self,
        store: MetadataStore,
        artifacts_url: str | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        policy: Policy = ALLOW_ALL,
    ) -> None:
        self._store = store
        self._artifacts_url = artifacts_url
        self._artifact_stores: dict[str, ArtifactStore] = {}
        # The clock is injectable so tests can order events deterministically; the policy is
        # asked before every write (governance will bring a real one).
        self._backend = Backend(store, clock, self._read_artifact, policy)

    @classmethod
    def open(cls, store_url: str, artifacts_url: str | None = None) -> Registry:
        """A registry on the store at ``store_url``, migrated if needed."""
        return cls(open_store(store_url), artifacts_url)

    @property
    def store(self) -> MetadataStore:
        """The metadata store this registry keeps its records in."""
        return self._store

    def authorize(self, caller: Caller | str, action: Action, models: Sequence[str]) -> None:
        """Raise unless the policy lets ``caller`` do ``action`` on ``models`` (e.g. train)."""
        self._backend.policy.check(as_caller(caller), action, models)

    # -- registering ----------------------------------------------------------------------

    def register(
        self,
        run: TenantRunRecord,
        signature: Signature | None = None,
        *,
        caller: Caller | str,
        tags: Mapping[str, str] | None = None,
        description: str = "",
        reuse_identical: bool = False,
    ) -> ModelVersion:
        """Make a succeeded run a candidate version (same run again: the version it already is).

        The first version is 1.0.0; a changed input signature bumps MAJOR, a retrain MINOR.
        Without ``signature`` the run record's own is used (no artifact is read); only a run
        recorded before runs carried one falls back to its package metadata.
        """
        versions = self.register_many(
            [(run, signature)],
            caller=caller,
            tags=tags,
            description=description,
            reuse_identical=reuse_identical,
        )
        return versions[0]

    def register_many(
        self,
        runs: Sequence[tuple[TenantRunRecord, Signature | None]],
        *,
        caller: Caller | str,
        tags: Mapping[str, str] | None = None,
        description: str = "",
        reuse_identical: bool = False,
    ) -> list[ModelVersion]:
        """Register many runs in one transaction: all of them or, on any error, none.

        With ``reuse_identical``, a run that repeats a version's training exactly gets that
        version back (see :func:`~modelfleet.registry.registration.register_in`).
        """
        who = as_caller(caller)
        for run, _ in runs:
            check_registrable(run)
        checked = [
            (run, signature or run.signature or self._legacy_signature(run))
            for run, signature in runs
        ]
        models = [f"{run.fleet}/{run.tenant}" for run, _ in checked]
        with write(self._backend, who, "register", models, f"register {len(checked)} run(s)") as w:
            rows = register_in(
                w,
                checked,
                tags=tags or {},
                description=description,
                reuse_identical=reuse_identical,
            )
        return [to_version(row) for row in rows]

    def update_metadata(
        self,
        ref: str,
        *,
        caller: Caller | str,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
        reason: str = "",
    ) -> ModelVersion:
        """Change tags (merged over the old ones) and/or the description: a new PATCH version."""
        who = as_caller(caller)
        base = self.resolve(ref)
        what = f"update metadata of {base.ref}"
        with write(self._backend, who, "update_metadata", [base.model], what) as w:
            row = patch_in(
                w,
                version_row(w.tx, base.model, base.version),
                tags=tags,
                description=description,
                reason=reason,
            )
        return to_version(row)

    # -- reading --------------------------------------------------------------------------

    def resolve(self, ref: str) -> ModelVersion:
        """The version ``fleet/tenant@alias``, ``fleet/tenant:1.2.0`` or ``fleet/tenant`` names.

        An alias is one indexed lookup; a bare model means its newest version not archived.
        NotFoundError names the versions and aliases that do exist.
        """
        return reads.resolve(self._store, ref)

    def versions(self, model: str) -> list[ModelVersion]:
        """Every version of ``model`` (``fleet/tenant``), newest first."""
        return reads.versions(self._store, model)

    def history(self, model: str, limit: int | None = None) -> list[ModelEvent]:
        """The events of ``model``, newest first: registrations, moves, status changes, ..."""
        return reads.history(self._store, model, limit)

    def search(self, query: VersionQuery | None = None, /, **filters: Any) -> list[ModelVersion]:
        """Versions matching every filter, by model and newest first, in one SQL query.

        Give a :class:`VersionQuery` or its fields as keywords. Prod models with WMAPE above
        0.3: ``search(environment="prod", metrics=["wmape>0.3"])``.
        """
        return reads.search(self._store, VersionQuery.of(query, filters))

    # -- aliases and promotion ------------------------------------------------------------

    def set_alias(
        self, model: str, alias: str, version: SemVer | str, *, caller: Caller | str, reason: str
    ) -> ModelEvent:
        """Point any alias (environment, champion, challenger) at a version; no policy asked."""
        split_model(model)
        return lifecycle.set_alias(
            self._backend,
            model,
            check_alias(alias),
            SemVer.of(version),
            caller=as_caller(caller),
            reason=reason,
        )

    def remove_alias(
        self, model: str, alias: str, *, caller: Caller | str, reason: str
    ) -> ModelEvent:
        """Delete an alias (its version stays); NotFoundError if there is no such alias."""
        split_model(model)
        return lifecycle.remove_alias(
            self._backend, model, check_alias(alias), caller=as_caller(caller), reason=reason
        )

    def promote(
        self,
        model: str,
        environment: str,
        *,
        policy: PromotionPolicy,
        caller: Caller | str,
        reason: str = "",
        version: SemVer | str | None = None,
        batch_id: str | None = None,
    ) -> PromotionOutcome:
        """Move a version into ``environment`` if ``policy`` allows it; the outcome says why.

        ``version`` defaults to the one in the previous environment of the policy's order (for
        the first, the newest version not archived). Refusals and waits for approval are
        outcomes with ``moved=False``, recorded as ``promotion_rejected`` events.
        """
        split_model(model)
        return promotion.promote(
            self._backend,
            model,
            check_alias(environment),
            policy=policy,
            caller=as_caller(caller),
            reason=reason,
            version=None if version is None else SemVer.of(version),
            batch_id=batch_id,
        )

    def promote_fleet(
        self,
        fleet: str,
        environment: str,
        *,
        policy: PromotionPolicy,
        caller: Caller | str,
        reason: str = "",
    ) -> PromotionBatch:
        """Promote every model of ``fleet`` into ``environment``; one outcome per tenant."""
        return promotion.promote_fleet(
            self._backend,
            fleet,
            check_alias(environment),
            policy=policy,
            caller=as_caller(caller),
            reason=reason,
        )

    def approve(
        self,
        model: str,
        version: SemVer | str,
        environment: str,
        *,
        caller: Caller | str,
        reason: str = "",
    ) -> ModelEvent:
        """Record a human's approval of a version for an environment (again: the first one)."""
        split_model(model)
        return lifecycle.approve(
            self._backend,
            model,
            SemVer.of(version),
            check_alias(environment),
            caller=as_caller(caller),
            reason=reason,
        )

    def set_traffic(
        self,
        model: str,
        environment: str,
        routing: RoutingSpec,
        *,
        caller: Caller | str,
        reason: str,
    ) -> ModelEvent:
        """Route ``model``'s requests in ``environment`` as ``routing`` says, from now on."""
        split_model(model)
        return traffic_writes.set_traffic(
            self._backend,
            model,
            check_alias(environment),
            routing,
            caller=as_caller(caller),
            reason=reason,
        )

    def clear_traffic(
        self, model: str, environment: str, *, caller: Caller | str, reason: str
    ) -> ModelEvent:
        """Drop ``model``'s run-time routing in ``environment``; the spec's applies again."""
        split_model(model)
        return traffic_writes.clear_traffic(
            self._backend,
            model,
            check_alias(environment),
            caller=as_caller(caller),
            reason=reason,
        )

    def traffic(self, model: str, environment: str) -> TrafficSetting | None:
        """``model``'s run-time routing in ``environment`` (None: the spec's applies)."""
        split_model(model)
        return traffic_writes.traffic(self.store, model, check_alias(environment))

    def rollback(
        self, model: str, environment: str, *, caller: Caller | str, reason: str = ""
    ) -> ModelEvent:
        """Point ``environment`` back at the version it held before its last move.

        Repeated rollbacks walk further back; if the environment was empty before that move,
        the alias is removed. ConflictError when there is nothing left to undo.
        """
        split_model(model)
        return promotion.rollback(
            self._backend, model, check_alias(environment), caller=as_caller(caller), reason=reason
        )

    def rollback_batch(
        self, batch_id: str, *, caller: Caller | str, reason: str = "", skip_moved: bool = False
    ) -> list[ModelEvent]:
        """Undo every alias move of one :meth:`promote_fleet` batch, in one transaction.

        If any of those aliases moved again since, nothing is undone (ConflictError naming
        them) unless ``skip_moved``, which undoes the others.
        """
        return promotion.rollback_batch(
            self._backend, batch_id, caller=as_caller(caller), reason=reason, skip_moved=skip_moved
        )

    # -- retiring versions ----------------------------------------------------------------

    def archive(
        self, model: str, version: SemVer | str, *, caller: Caller | str, reason: str = ""
    ) -> ModelEvent:
        """Retire a version: it stays readable but cannot be promoted; refused while aliased."""
        split_model(model)
        return lifecycle.archive(
            self._backend, model, SemVer.of(version), caller=as_caller(caller), reason=reason
        )

    def delete_version(
        self, model: str, version: SemVer | str, *, caller: Caller | str, reason: str = ""
    ) -> None:
        """Delete a version's record (not its artifacts); refused while aliased; history stays."""
        split_model(model)
        lifecycle.delete_version(
            self._backend, model, SemVer.of(version), caller=as_caller(caller), reason=reason
        )

    # -- lifetime -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the store's connections."""
        self._store.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- artifacts ------------------------------------------------------------------------

    def _legacy_signature(self, run: TenantRunRecord) -> Signature:
        """Compat for runs recorded before migration 0003 (no signature on the record).

        Such a run's signature is in its model package metadata (``model_meta``), so that one
        artifact is read; every newer run carries its signature and reads nothing.
        """
        meta = {artifact.name: artifact for artifact in run.artifacts}.get("model_meta")
        if meta is None:
            raise UsageError(
                f"run {run.run_id} records no signature (it predates signatures on run "
                "records) and has no model_meta artifact to read one from; pass the signature "
                "explicitly"
            )
        return load_metadata(BoundReader(self._read_artifact, meta.uri), meta.digest).signature

    def _read_artifact(self, digest: str, uri: str) -> bytes:
        """Bytes of ``digest`` from the configured artifact store, else the one ``uri`` is in."""
        url = self._artifacts_url or store_root_of(uri)
        store = self._artifact_stores.get(url)
        if store is None:
            store = self._artifact_stores[url] = open_artifact_store(url)
        return store.get_bytes(digest)
