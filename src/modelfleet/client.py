"""The Python API: ``modelfleet.connect()`` returns a :class:`Client` over one modelfleet home.

This is a face, like the CLI: it builds :class:`Settings` from the process environment once and
passes them down. Everything the CLI can do goes through here, so scripts and notebooks get the
same behaviour. :class:`~modelfleet.remote.RemoteClient` offers the same run and registry
methods over a control-plane server.

Registry writes record an ``actor``: the local user unless one is given.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelfleet.config.settings import Settings
from modelfleet.config.spec import FleetSpec, load_spec
from modelfleet.errors import UsageError
from modelfleet.serving.shared import SpecLike, local_user, spec_for

if TYPE_CHECKING:
    from modelfleet.data.canonical import FleetData
    from modelfleet.pipeline.executors import Executor
    from modelfleet.pipeline.recording import RunListener
    from modelfleet.pipeline.runner import FleetRunSummary
    from modelfleet.registry.policy import PromotionPolicy
    from modelfleet.registry.records import (
        MetricFilter,
        ModelEvent,
        ModelVersion,
        PromotionBatch,
        PromotionOutcome,
        VersionStatus,
    )
    from modelfleet.registry.service import Registry
    from modelfleet.tracking.records import FleetRunRecord, TenantRunRecord
    from modelfleet.tracking.tracker import Tracker


@dataclass(frozen=True)
class ValidationReport:
    """A checked spec and, when data was checked too, what was found in it."""

    spec: FleetSpec
    data: FleetData | None


class Client:
    """Read runs and train fleets against one home (metadata store + artifact store)."""

    def __init__(self, settings: Settings, *, actor: str | None = None) -> None:
        self.settings = settings
        self.actor = actor or local_user()
        self._tracker: Tracker | None = None
        self._registry: Registry | None = None

    @classmethod
    def open(
        cls,
        home: str | Path | None = None,
        store_url: str | None = None,
        *,
        artifacts_url: str | None = None,
        workers: int | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Client:
        """Settings from ``MODELFLEET_*`` variables, then the arguments given here on top."""
        env = dict(os.environ if environ is None else environ)
        if home is not None:
            env["MODELFLEET_HOME"] = str(home)
        settings = Settings.from_env(env).with_overrides(
            store_url=store_url, artifacts_url=artifacts_url, workers=workers
        )
        return cls(settings)

    @property
    def tracker(self) -> Tracker:
        """The run tracker, opened (and migrated) on first use."""
        if self._tracker is None:
            from modelfleet.tracking.tracker import Tracker

            self._tracker = Tracker.open(self.settings.store_url)
        return self._tracker

    @property
    def registry(self) -> Registry:
        """The model registry, sharing the tracker's metadata store."""
        if self._registry is None:
            from modelfleet.registry.service import Registry

            self._registry = Registry(self.tracker.store, self.settings.artifacts_url)
        return self._registry

    def close(self) -> None:
        """Release database connections."""
        self._registry = None  # shares the tracker's store, closed below
        if self._tracker is not None:
            self._tracker.close()
            self._tracker = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ training
    def validate(
        self, spec_path: str | Path, environment: str | None = None, *, data: bool = False
    ) -> ValidationReport:
        """Check a fleet spec and, with ``data=True``, read and validate every tenant's data."""
        spec = load_spec(spec_path, environment)
        if not data:
            return ValidationReport(spec, None)
        from modelfleet.data.ingest import load_fleet_data

        return ValidationReport(spec, load_fleet_data(spec))

    def train(
        self,
        spec_path: str | Path,
        environment: str = "dev",
        *,
        force: bool = False,
        listener: RunListener | None = None,
        executor: Executor | None = None,
        now: datetime | None = None,
    ) -> FleetRunSummary:
        """Train every selected tenant of a fleet in one environment (skipping finished ones)."""
        from modelfleet.pipeline.runner import train_fleet

        spec = load_spec(spec_path, environment)
        return train_fleet(
            spec,
            self.settings,
            force=force,
            executor=executor,
            listener=listener,
            now=now,
            actor=self.actor,
        )

    # ------------------------------------------------------------------ tracking
    def runs(self, **filters: Any) -> list[TenantRunRecord]:
        """Tenant runs, newest first; filters: fleet, tenant, status, environment, limit."""
        return self.tracker.list_runs(**filters)

    def run(self, run_id: str) -> TenantRunRecord:
        """One tenant run by id or unique id prefix."""
        return self.tracker.get_run(run_id)

    def fleet_runs(self, fleet: str | None = None, limit: int | None = 20) -> list[FleetRunRecord]:
        """Fleet runs (one per ``train`` invocation), newest first."""
        return self.tracker.list_fleet_runs(fleet, limit)

    def fleet_run(self, fleet_run_id: str) -> FleetRunRecord:
        """One fleet run by its full id."""
        return self.tracker.get_fleet_run(fleet_run_id)

    # ------------------------------------------------------------------ registry: reads
    def resolve(self, ref: str) -> ModelVersion:
        """The version ``fleet/tenant@prod``, ``fleet/tenant:1.2.0`` or ``fleet/tenant`` names."""
        return self.registry.resolve(ref)

    def versions(self, model: str) -> list[ModelVersion]:
        """Every version of ``fleet/tenant``, newest first, each with its aliases."""
        return self.registry.versions(model)

    def search(
        self,
        *,
        fleet: str | None = None,
        tenant: str | None = None,
        tags: Mapping[str, str] | None = None,
        environment: str | None = None,
        status: VersionStatus | None = None,
        metrics: Sequence[MetricFilter | str] = (),
        latest_only: bool = False,
        limit: int | None = 100,
    ) -> list[ModelVersion]:
        """Versions matching every filter (metrics like ``"wmape>0.3"``), by model, newest first."""
        return self.registry.search(
            fleet=fleet,
            tenant=tenant,
            tags=tags,
            environment=environment,
            status=status,
            metrics=metrics,
            latest_only=latest_only,
            limit=limit,
        )

    def history(self, model: str, limit: int | None = None) -> list[ModelEvent]:
        """The model's events, newest first."""
        return self.registry.history(model, limit)

    def card(self, ref: str, *, fmt: str = "markdown", spec: SpecLike | None = None) -> str:
        """The model card of the version ``ref`` names, as markdown or html.

        With ``spec`` (the fleet's fleet.yaml) the card also states the fleet's purpose.
        """
        from modelfleet.errors import NotFoundError
        from modelfleet.registry.cards import Purpose, render_card

        version = self.resolve(ref)
        purpose = None if spec is None else Purpose.from_spec(spec_for(version.fleet, spec))
        run = None
        if version.run_id is not None:
            try:
                run = self.run(version.run_id)
            except NotFoundError:
                run = None
        events = self.history(version.model)
        return render_card(version, run, events, fmt=fmt, purpose=purpose)

    # ------------------------------------------------------------------ registry: writes
    def register(
        self,
        run: str | TenantRunRecord,
        *,
        actor: str | None = None,
        tags: Mapping[str, str] | None = None,
        description: str = "",
    ) -> ModelVersion:
        """Make a succeeded run (record or id) a candidate version of its model."""
        record = self.run(run) if isinstance(run, str) else run
        return self.registry.register(
            record, actor=actor or self.actor, tags=tags, description=description
        )

    def promote(
        self,
        model: str,
        environment: str,
        *,
        spec: SpecLike | None = None,
        version: str | None = None,
        actor: str | None = None,
        reason: str = "",
    ) -> PromotionOutcome:
        """Promote a model into ``environment`` under the policy of its fleet's ``spec``."""
        from modelfleet.registry.refs import split_model

        policy = self._policy(split_model(model)[0], spec)
        return self.registry.promote(
            model,
            environment,
            policy=policy,
            actor=actor or self.actor,
            reason=reason,
            version=version,
        )

    def promote_fleet(
        self,
        fleet: str,
        environment: str,
        *,
        spec: SpecLike | None = None,
        actor: str | None = None,
        reason: str = "",
    ) -> PromotionBatch:
        """Promote every model of ``fleet`` whose candidate passes its ``spec``'s policy."""
        return self.registry.promote_fleet(
            fleet,
            environment,
            policy=self._policy(fleet, spec),
            actor=actor or self.actor,
            reason=reason,
        )

    def approve(
        self,
        model: str,
        version: str,
        environment: str,
        *,
        actor: str | None = None,
        reason: str = "",
    ) -> ModelEvent:
        """Record a human approval of ``version`` for ``environment``."""
        return self.registry.approve(
            model, version, environment, actor=actor or self.actor, reason=reason
        )

    def rollback(
        self, model: str, environment: str, *, actor: str | None = None, reason: str = ""
    ) -> ModelEvent:
        """Point ``environment`` back at the version it held before its last move."""
        return self.registry.rollback(model, environment, actor=actor or self.actor, reason=reason)

    def rollback_batch(
        self,
        batch_id: str,
        *,
        actor: str | None = None,
        reason: str = "",
        skip_moved: bool = False,
    ) -> list[ModelEvent]:
        """Undo every alias move of one fleet promotion batch."""
        return self.registry.rollback_batch(
            batch_id, actor=actor or self.actor, reason=reason, skip_moved=skip_moved
        )

    def set_alias(
        self,
        model: str,
        alias: str,
        version: str,
        *,
        actor: str | None = None,
        reason: str = "",
    ) -> ModelEvent:
        """Point an alias (champion, challenger...) at a version; no policy is asked."""
        return self.registry.set_alias(
            model, alias, version, actor=actor or self.actor, reason=reason
        )

    def archive(
        self, model: str, version: str, *, actor: str | None = None, reason: str = ""
    ) -> ModelEvent:
        """Retire a version (refused while an alias points at it)."""
        return self.registry.archive(model, version, actor=actor or self.actor, reason=reason)

    def update_metadata(
        self,
        ref: str,
        *,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
        actor: str | None = None,
        reason: str = "",
    ) -> ModelVersion:
        """Merge tags and/or set the description: returns the new PATCH version."""
        return self.registry.update_metadata(
            ref, actor=actor or self.actor, tags=tags, description=description, reason=reason
        )

    def _policy(self, fleet: str, spec: SpecLike | None) -> PromotionPolicy:
        """The promotion policy ``spec`` declares for ``fleet``."""
        from modelfleet.registry.policy import PromotionPolicy

        if spec is None:
            raise UsageError(
                f"promoting needs fleet {fleet!r}'s promotion policy: pass spec= its fleet.yaml"
            )
        return PromotionPolicy.from_spec(spec_for(fleet, spec))
