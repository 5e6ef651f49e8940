"""The Python API, written once: :class:`Client` over a :class:`~.plane.Plane`.

``modelfleet.connect()`` gives a client over the local plane (this process, the stores under
``MODELFLEET_HOME``); ``modelfleet.connect("http://host:8000")`` the same class over the HTTP
plane. Both answer with the same records; training and validation need the data and the
stores, so they run on the local plane only. Settings are built here, at the edge, once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from modelfleet.caller import Caller, local_caller
from modelfleet.client.autopilot_verbs import AutopilotVerbs
from modelfleet.client.local import LocalPlane
from modelfleet.client.monitoring_verbs import MonitoringVerbs
from modelfleet.client.plane import Plane, PlaneInfo
from modelfleet.client.scoring import LocalScoring
from modelfleet.client.scoring_verbs import ScoringVerbs
from modelfleet.config.settings import Settings
from modelfleet.config.spec import FleetSpec, load_spec
from modelfleet.config.specs import SpecLike, load_spec_like
from modelfleet.errors import UsageError
from modelfleet.registry.queries import VersionQuery
from modelfleet.registry.records import ModelEvent, ModelVersion, PromotionBatch, PromotionOutcome
from modelfleet.tracking.queries import RunQuery
from modelfleet.tracking.records import FleetRunRecord, RunTrigger, TenantRunRecord

if TYPE_CHECKING:
    import httpx

    from modelfleet.data.canonical import FleetData
    from modelfleet.pipeline.executors import Executor
    from modelfleet.pipeline.recording import RunListener
    from modelfleet.pipeline.runner import FleetRunSummary
    from modelfleet.registry.traffic import TrafficSetting


@dataclass(frozen=True)
class ValidationReport:
    """A checked spec and, when data was checked too, what was found in it."""

    spec: FleetSpec
    data: FleetData | None


class Client(ScoringVerbs, MonitoringVerbs, AutopilotVerbs):
    """Runs, the model registry and promotion, over a local or an HTTP plane."""

    def __init__(self, plane: Plane) -> None:
        self.plane = plane
        self._scoring: LocalScoring | None = None

    @classmethod
    def open(
        cls,
        home: str | Path | None = None,
        store_url: str | None = None,
        *,
        artifacts_url: str | None = None,
        workers: int | None = None,
        environ: Mapping[str, str] | None = None,
        caller: Caller | None = None,
    ) -> Client:
        """A local client: settings from ``MODELFLEET_*`` variables, these arguments on top."""
        env = dict(os.environ if environ is None else environ)
        if home is not None:
            env["MODELFLEET_HOME"] = str(home)
        settings = Settings.from_env(env).with_overrides(
            store_url=store_url, artifacts_url=artifacts_url, workers=workers
        )
        return cls(LocalPlane(settings, caller, say_where=True))

    @classmethod
    def over_http(
        cls,
        url: str | None = None,
        *,
        http: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float | None = None,
        token: str | None = None,
    ) -> Client:
        """A client over a control-plane server (``transport=`` e.g. httpx.MockTransport);
        ``token`` (default: ``MODELFLEET_TOKEN``) for a server with auth on."""
        from modelfleet.client.http import DEFAULT_TIMEOUT_SECONDS, HttpPlane

        return cls(
            HttpPlane(
                url,
                http=http,
                transport=transport,
                timeout=timeout or DEFAULT_TIMEOUT_SECONDS,
                token=token if token is not None else os.environ.get("MODELFLEET_TOKEN"),
            )
        )

    @property
    def settings(self) -> Settings:
        """The local plane's settings (a client over HTTP has none: UsageError)."""
        return self._local("settings").settings

    def info(self) -> PlaneInfo:
        """What this client works on (store backend, server version, served fleets)."""
        return self.plane.info()

    def close(self) -> None:
        """Release connections."""
        if self._scoring is not None:
            self._scoring.close()
        self.plane.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _local(self, verb: str) -> LocalPlane:
        if not isinstance(self.plane, LocalPlane):
            raise UsageError(
                f"{verb} works on a local home only (it needs the data and the stores); use "
                "modelfleet.connect() or a client without --url"
            )
        return self.plane

    # -- training (local only)
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
        tenants: Sequence[str] | None = None,
        trigger: RunTrigger = "manual",
        executor: Executor | str | None = None,
        listener: RunListener | None = None,
        now: datetime | None = None,
        allow_identical: bool = False,
    ) -> FleetRunSummary:
        """Train a fleet's tenants in one environment (skipping finished ones), as this caller.

        ``tenants`` selects some tenants only; ``trigger`` says why the run started;
        ``executor`` is an executor or its name (``process``, ``inline``). A retrain that
        repeats a version exactly (``force`` on unchanged data and spec) reuses that version
        unless ``allow_identical``.
        """
        from modelfleet.pipeline.runner import train_fleet

        local = self._local("train")
        settings = local.settings
        if isinstance(executor, str):
            settings, executor = settings.with_overrides(executor=executor), None
        return train_fleet(
            load_spec(spec_path, environment),
            settings,
            caller=local.caller,
            trigger=trigger,
            tenants=tenants,
            force=force,
            executor=executor,
            listener=listener,
            now=now,
            allow_identical=allow_identical,
        )

    # -- runs
    def runs(self, query: RunQuery | None = None, /, **filters: Any) -> list[TenantRunRecord]:
        """Tenant runs matching a :class:`RunQuery` (or its fields as keywords), newest first."""
        return self.plane.runs(RunQuery.of(query, filters))

    def run(self, run_id: str) -> TenantRunRecord:
        """One tenant run by id or unique id prefix."""
        return self.plane.run(run_id)

    def fleet_runs(self, fleet: str | None = None, limit: int | None = 20) -> list[FleetRunRecord]:
        """Fleet runs (one per ``train`` invocation), newest first."""
        return self.plane.fleet_runs(fleet, limit)

    def fleet_run(self, fleet_run_id: str) -> FleetRunRecord:
        """One fleet run by its full id."""
        return self.plane.fleet_run(fleet_run_id)

    # -- registry reads
    def resolve(self, ref: str) -> ModelVersion:
        """The version ``fleet/tenant@prod``, ``fleet/tenant:1.2.0`` or ``fleet/tenant`` names."""
        return self.plane.resolve(ref)

    def versions(self, model: str) -> list[ModelVersion]:
        """Every version of ``fleet/tenant``, newest first, each with its aliases."""
        return self.plane.versions(model)

    def search(self, query: VersionQuery | None = None, /, **filters: Any) -> list[ModelVersion]:
        """Versions matching a :class:`VersionQuery` (or its fields as keywords), newest first."""
        return self.plane.search(VersionQuery.of(query, filters))

    def history(self, model: str, limit: int | None = None) -> list[ModelEvent]:
        """The model's events, newest first."""
        return self.plane.history(model, limit)

    def card(self, ref: str, *, fmt: str = "markdown", spec: SpecLike | None = None) -> str:
        """The model card of ``ref`` as markdown or html (with ``spec``: the fleet's purpose)."""
        return self.plane.card(ref, fmt, load_spec_like(spec))

    # -- registry writes (attributed to the plane's caller)
    def register(
        self,
        run: str | TenantRunRecord,
        *,
        tags: Mapping[str, str] | None = None,
        description: str = "",
    ) -> ModelVersion:
        """Make a succeeded run (record or id) a candidate version of its model."""
        run_id = run if isinstance(run, str) else run.run_id
        return self.plane.register(run_id, dict(tags or {}), description)

    def update_metadata(
        self,
        ref: str,
        *,
        tags: Mapping[str, str] | None = None,
        description: str | None = None,
        reason: str = "",
    ) -> ModelVersion:
        """Merge tags and/or set the description: returns the new PATCH version."""
        return self.plane.update_metadata(ref, tags, description, reason)

    def promote(
        self,
        model: str,
        environment: str,
        *,
        spec: SpecLike | None = None,
        version: str | None = None,
        reason: str = "",
    ) -> PromotionOutcome:
        """Promote a model into ``environment`` under its fleet's policy."""
        return self.plane.promote(model, environment, version, reason, load_spec_like(spec))

    def promote_fleet(
        self, fleet: str, environment: str, *, spec: SpecLike | None = None, reason: str = ""
    ) -> PromotionBatch:
        """Promote every model of ``fleet`` whose candidate passes its policy."""
        return self.plane.promote_fleet(fleet, environment, reason, load_spec_like(spec))

    def approve(
        self, model: str, version: str, environment: str, *, reason: str = ""
    ) -> ModelEvent:
        """Record a human approval of ``version`` for ``environment``."""
        return self.plane.approve(model, str(version), environment, reason)

    def rollback(self, model: str, environment: str, *, reason: str = "") -> ModelEvent:
        """Point ``environment`` back at the version it held before its last move."""
        return self.plane.rollback(model, environment, reason)

    def rollback_batch(
        self, batch_id: str, *, reason: str = "", skip_moved: bool = False
    ) -> list[ModelEvent]:
        """Undo every alias move of one fleet promotion batch."""
        return self.plane.rollback_batch(batch_id, reason, skip_moved)

    def set_alias(self, model: str, alias: str, version: str, *, reason: str = "") -> ModelEvent:
        """Point an alias (champion, challenger...) at a version; no policy is asked."""
        return self.plane.set_alias(model, alias, str(version), reason)

    def set_traffic(
        self,
        model: str,
        environment: str,
        *,
        mode: str,
        share: float | None = None,
        challenger: str = "challenger",
        reason: str = "",
    ) -> ModelEvent:
        """Route ``model``'s requests in ``environment`` from now on (champion, ab, canary,
        shadow); replaces the spec's ``serving.routing`` for it until cleared."""
        from modelfleet.config.serving_blocks import RoutingSpec

        try:
            routing = RoutingSpec.model_validate(
                {"mode": mode, "share": share, "challenger": challenger}
            )
        except ValueError as exc:
            raise UsageError(f"traffic for {model}@{environment}: {exc}") from exc
        return self.plane.set_traffic(model, environment, routing, reason)

    def clear_traffic(self, model: str, environment: str, *, reason: str = "") -> ModelEvent:
        """Drop ``model``'s run-time routing in ``environment``: the spec's applies again."""
        return self.plane.clear_traffic(model, environment, reason)

    def traffic(self, model: str, environment: str) -> TrafficSetting | None:
        """``model``'s run-time routing in ``environment`` (None: the spec's routing applies)."""
        return self.plane.traffic(model, environment)

    def remove_alias(self, model: str, alias: str, *, reason: str = "") -> ModelEvent:
        """Delete an alias (its version stays)."""
        return self.plane.remove_alias(model, alias, reason)

    def archive(self, model: str, version: str, *, reason: str = "") -> ModelEvent:
        """Retire a version (refused while an alias points at it)."""
        return self.plane.archive(model, str(version), reason)

    def delete_version(self, model: str, version: str, *, reason: str = "") -> None:
        """Delete a version's record, not its artifacts (refused while aliased)."""
        self.plane.delete_version(model, str(version), reason)


def connect(
    home: str | Path | None = None,
    store_url: str | None = None,
    *,
    caller: Caller | None = None,
    **kwargs: Any,
) -> Client:
    """A client: over a server for an ``http(s)://`` URL, else over a modelfleet home.

    ``connect()`` opens ``./.modelfleet`` (or ``MODELFLEET_HOME``); ``connect("path")`` that
    home; ``connect("http://host:8000")`` the HTTP plane (keyword arguments go to
    :meth:`Client.over_http`).
    """
    if isinstance(home, str) and home.startswith(("http://", "https://")):
        if store_url is not None or caller is not None:
            raise UsageError(
                "store_url and caller belong to a local home; a server has its own store and "
                "decides who its callers are"
            )
        return Client.over_http(home, **kwargs)
    return Client.open(home=home, store_url=store_url, caller=caller, **kwargs)


__all__ = ["Client", "ValidationReport", "connect", "local_caller"]
