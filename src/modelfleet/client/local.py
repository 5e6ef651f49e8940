"""The local plane: the platform's verbs in this process, over the metadata and artifact stores.

Stores open on first use and are shared by every call. Writes are made as this plane's
:class:`~modelfleet.caller.Caller` (the OS user unless one is given). Promotion policies come
from the fleet spec the caller passes, since there is no server holding them.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from modelfleet.caller import ALLOW_ALL, Action, Caller, Policy, local_caller
from modelfleet.client.plane import PlaneInfo
from modelfleet.config.settings import Settings
from modelfleet.config.spec import FleetSpec
from modelfleet.config.specs import spec_for
from modelfleet.errors import NotFoundError, UsageError
from modelfleet.quoting import redact_url
from modelfleet.registry.queries import VersionQuery
from modelfleet.registry.reads import ArtifactStores, VersionArtifacts
from modelfleet.registry.records import ModelEvent, ModelVersion, PromotionBatch, PromotionOutcome
from modelfleet.registry.refs import split_model
from modelfleet.tracking.queries import RunQuery
from modelfleet.tracking.records import FleetRunRecord, TenantRunRecord
from modelfleet.version import __version__

if TYPE_CHECKING:
    from modelfleet.client.autopilot_plane import Decision
    from modelfleet.config.serving_blocks import RoutingSpec
    from modelfleet.monitoring.feedback import Actual, FeedbackReport
    from modelfleet.registry.policy import PromotionPolicy
    from modelfleet.registry.service import Registry
    from modelfleet.registry.traffic import TrafficSetting
    from modelfleet.store import MetadataStore
    from modelfleet.store.autopilot import ActionRow
    from modelfleet.tracking.tracker import Tracker


P = ParamSpec("P")
R = TypeVar("R")


def _says_where(
    method: Callable[Concatenate[LocalPlane, P], R],
) -> Callable[Concatenate[LocalPlane, P], R]:
    """Let a NotFoundError say which home it searched (for a client opened on a home)."""

    @functools.wraps(method)
    def wrapped(self: LocalPlane, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except NotFoundError as exc:
            if not self.say_where:
                raise
            raise NotFoundError(f"{exc}; {self._stores.where()}") from exc

    return wrapped


class _Stores:
    """The tracker and registry of one home, opened on first use and shared by its planes."""

    def __init__(
        self,
        settings: Settings,
        policy_of: Callable[[MetadataStore], Policy] | None = None,
    ) -> None:
        self.settings = settings
        # With a policy (a server with auth on), it is built on the store at first use.
        self._policy_of = policy_of
        self._policy: Policy | None = None
        # Known before anything opens the store (which creates an empty SQLite file).
        self.was_empty = _sqlite_missing(settings.store_url)
        self._lock = threading.Lock()
        self._tracker: Tracker | None = None
        self._registry: Registry | None = None
        self.artifacts = ArtifactStores(settings.artifacts_url)

    def tracker(self) -> Tracker:
        with self._lock:
            if self._tracker is None:
                from modelfleet.tracking.tracker import Tracker

                self._tracker = Tracker.open(self.settings.store_url)
            return self._tracker

    @property
    def policy(self) -> Policy | None:
        """The policy every read and write asks (None: local mode, everything allowed)."""
        if self._policy_of is None:
            return None
        store = self.tracker().store
        with self._lock:
            if self._policy is None:
                self._policy = self._policy_of(store)
            return self._policy

    def registry(self) -> Registry:
        policy = self.policy
        tracker = self.tracker()
        with self._lock:
            if self._registry is None:
                from modelfleet.registry.service import Registry

                self._registry = Registry(
                    tracker.store, self.settings.artifacts_url, policy=policy or ALLOW_ALL
                )
            return self._registry

    def where(self) -> str:
        """Which store a lookup searched, and how to point at another, for a not-found error."""
        home, store = self.settings.home, redact_url(self.settings.store_url)
        if self.was_empty and not self.tracker().store.list_fleet_runs(limit=1):
            return (
                f"the home {home} had no store: nothing was ever trained there (an empty one "
                "was made now); train there first, or set MODELFLEET_HOME or "
                "connect(home=...) to the home you trained in"
            )
        return (
            f"searched the store {store} (home {home}); set MODELFLEET_HOME or "
            "connect(home=...) to look in another home"
        )

    def close(self) -> None:
        with self._lock:
            self._registry = None  # shares the tracker's store, closed below
            if self._tracker is not None:
                self._tracker.close()
                self._tracker = None


class LocalPlane:
    """Runs, registry and promotion over the stores ``settings`` name, as ``caller``."""

    def __init__(
        self,
        settings: Settings,
        caller: Caller | None = None,
        *,
        say_where: bool = False,
        _stores: _Stores | None = None,
    ) -> None:
        self.settings = settings
        self.caller = caller or local_caller()
        # A person's client names the home in not-found errors; the control plane's does not
        # (its callers have no business knowing where its store lives).
        self.say_where = say_where
        self._stores = _stores or _Stores(settings)

    def as_caller(self, caller: Caller) -> LocalPlane:
        """The same stores, writing as ``caller`` (the control plane makes one per request)."""
        return type(self)(self.settings, caller, say_where=self.say_where, _stores=self._stores)

    @property
    def _tracker(self) -> Tracker:
        return self._stores.tracker()

    @property
    def _registry(self) -> Registry:
        return self._stores.registry()

    def metadata_store(self) -> MetadataStore:
        """The home's metadata store (opened on first use; shared with the tracker)."""
        return self._tracker.store

    def info(self) -> PlaneInfo:
        """This home's store backend; fleets is empty (policies come from the caller's spec)."""
        return PlaneInfo(
            "local", __version__, self._tracker.store.backend, (), self.caller.principal
        )

    # -- runs
    def runs(self, query: RunQuery) -> list[TenantRunRecord]:
        """Tenant runs matching ``query``, newest first."""
        return self._tracker.list_runs(query)

    @_says_where
    def run(self, run_id: str) -> TenantRunRecord:
        """One tenant run by id or unique id prefix."""
        return self._tracker.get_run(run_id)

    def fleet_runs(self, fleet: str | None, limit: int | None) -> list[FleetRunRecord]:
        """Fleet runs, newest first."""
        return self._tracker.list_fleet_runs(fleet, limit)

    @_says_where
    def fleet_run(self, fleet_run_id: str) -> FleetRunRecord:
        """One fleet run by its full id."""
        return self._tracker.get_fleet_run(fleet_run_id)

    # -- registry reads
    @_says_where
    def resolve(self, ref: str) -> ModelVersion:
        """The version a reference names, its artifacts checked against their sha256.

        ``models show``, cards and the control plane's version reads come here, so a damaged
        artifact is refused wherever a version is shown; listings stay metadata-only reads
        (``modelfleet doctor`` checks every version's artifacts at once).
        """
        version = self._registry.resolve(ref)
        VersionArtifacts(version, self._stores.artifacts).verify()
        return version

    @_says_where
    def versions(self, model: str) -> list[ModelVersion]:
        """Every version of a model, newest first."""
        return self._registry.versions(model)

    def search(self, query: VersionQuery) -> list[ModelVersion]:
        """Versions matching ``query``."""
        return self._registry.search(query)

    @_says_where
    def history(self, model: str, limit: int | None) -> list[ModelEvent]:
        """The model's events, newest first."""
        return self._registry.history(model, limit)

    @_says_where
    def card(self, ref: str, fmt: str, spec: FleetSpec | None) -> str:
        """The model card, with the fleet's purpose when its spec is given."""
        from modelfleet.registry.cards import Purpose, render_card

        version = self.resolve(ref)
        run = None
        if version.run_id is not None:
            try:
                run = self.run(version.run_id)
            except NotFoundError:
                run = None
        purpose = None if spec is None else Purpose.from_spec(spec_for(version.fleet, spec))
        return render_card(
            version, run, self.history(version.model, None), fmt=fmt, purpose=purpose
        )

    # -- registry writes
    @_says_where
    def register(self, run_id: str, tags: Mapping[str, str], description: str) -> ModelVersion:
        """Register a succeeded run as a candidate version."""
        record = self.run(run_id)
        return self._registry.register(
            record, caller=self.caller, tags=tags, description=description
        )

    @_says_where
    def update_metadata(
        self, ref: str, tags: Mapping[str, str] | None, description: str | None, reason: str
    ) -> ModelVersion:
        """A new PATCH version with merged tags and/or a new description."""
        return self._registry.update_metadata(
            ref, caller=self.caller, tags=tags, description=description, reason=reason
        )

    @_says_where
    def promote(
        self,
        model: str,
        environment: str,
        version: str | None,
        reason: str,
        spec: FleetSpec | None,
    ) -> PromotionOutcome:
        """Promote under the policy of the given spec."""
        policy = _policy(split_model(model)[0], spec)
        return self._registry.promote(
            model,
            environment,
            policy=policy,
            caller=self.caller,
            reason=reason,
            version=version,
        )

    @_says_where
    def promote_fleet(
        self, fleet: str, environment: str, reason: str, spec: FleetSpec | None
    ) -> PromotionBatch:
        """Promote every model of a fleet under the given spec's policy."""
        return self._registry.promote_fleet(
            fleet,
            environment,
            policy=_policy(fleet, spec),
            caller=self.caller,
            reason=reason,
        )

    @_says_where
    def approve(self, model: str, version: str, environment: str, reason: str) -> ModelEvent:
        """Record an approval."""
        return self._registry.approve(
            model, version, environment, caller=self.caller, reason=reason
        )

    @_says_where
    def rollback(self, model: str, environment: str, reason: str) -> ModelEvent:
        """Undo the environment's last move."""
        return self._registry.rollback(model, environment, caller=self.caller, reason=reason)

    @_says_where
    def rollback_batch(self, batch_id: str, reason: str, skip_moved: bool) -> list[ModelEvent]:
        """Undo a fleet promotion batch."""
        return self._registry.rollback_batch(
            batch_id, caller=self.caller, reason=reason, skip_moved=skip_moved
        )

    @_says_where
    def set_alias(self, model: str, alias: str, version: str, reason: str) -> ModelEvent:
        """Point an alias at a version."""
        return self._registry.set_alias(model, alias, version, caller=self.caller, reason=reason)

    @_says_where
    def set_traffic(
        self, model: str, environment: str, routing: RoutingSpec, reason: str
    ) -> ModelEvent:
        """Set a tenant's run-time routing in an environment."""
        return self._registry.set_traffic(
            model, environment, routing, caller=self.caller, reason=reason
        )

    @_says_where
    def clear_traffic(self, model: str, environment: str, reason: str) -> ModelEvent:
        """Drop a tenant's run-time routing in an environment."""
        return self._registry.clear_traffic(model, environment, caller=self.caller, reason=reason)

    def traffic(self, model: str, environment: str) -> TrafficSetting | None:
        """A tenant's run-time routing in an environment (None: the spec's applies)."""
        return self._registry.traffic(model, environment)

    @_says_where
    def remove_alias(self, model: str, alias: str, reason: str) -> ModelEvent:
        """Delete an alias."""
        return self._registry.remove_alias(model, alias, caller=self.caller, reason=reason)

    @_says_where
    def archive(self, model: str, version: str, reason: str) -> ModelEvent:
        """Retire a version."""
        return self._registry.archive(model, version, caller=self.caller, reason=reason)

    @_says_where
    def delete_version(self, model: str, version: str, reason: str) -> None:
        """Delete a version's record."""
        self._registry.delete_version(model, version, caller=self.caller, reason=reason)

    def authorize(self, action: Action, models: Sequence[str]) -> None:
        """Raise unless the policy lets this plane's caller do ``action`` on ``models``."""
        self._registry.authorize(self.caller, action, models)

    def autopilot_actions(
        self, fleet: str | None, environment: str | None, status: str | None, limit: int | None
    ) -> list[ActionRow]:
        """The autopilot's actions, newest first."""
        from modelfleet.client.autopilot_plane import list_actions

        return list_actions(self, fleet, environment, status, limit)

    def decide_action(self, action_id: int, decision: Decision, reason: str) -> ActionRow:
        """Approve or reject a pending autopilot step."""
        from modelfleet.client.autopilot_plane import decide_action

        return decide_action(self, action_id, decision, reason)

    def feedback(
        self, fleet: str, actuals: Sequence[Actual], spec: FleetSpec | None
    ) -> FeedbackReport:
        """Store ground truth records under the given spec's lateness setting (all or none;
        the source recorded is how and by whom they were sent)."""
        from modelfleet.monitoring.feedback import ingest_records

        if spec is None:
            raise UsageError(
                f"feedback needs fleet {fleet!r}'s spec (its lateness setting): pass spec= "
                "its fleet.yaml"
            )
        label = f"records via {self.caller.via} by {self.caller.principal}"
        return ingest_records(self.metadata_store(), spec_for(fleet, spec), actuals, label=label)

    def close(self) -> None:
        """Release database connections (of every plane sharing these stores)."""
        self._stores.close()


def _policy(fleet: str, spec: FleetSpec | None) -> PromotionPolicy:
    """The promotion policy ``spec`` declares for ``fleet``."""
    from modelfleet.registry.policy import PromotionPolicy

    if spec is None:
        raise UsageError(
            f"promoting needs fleet {fleet!r}'s promotion policy: pass spec= its fleet.yaml"
        )
    return PromotionPolicy.from_spec(spec_for(fleet, spec))


def _sqlite_missing(store_url: str) -> bool:
    """Whether ``store_url`` names a SQLite file that does not exist yet."""
    prefix = "sqlite:///"
    if not store_url.startswith(prefix):
        return False
    path = store_url.removeprefix(prefix).partition("?")[0]
    return bool(path) and path != ":memory:" and not Path(path).exists()
