"""The local plane as a server with auth on runs it: every read asks the policy too.

Writes are checked where they happen (the registry asks its policy before every write, and a
write out of the caller's scope is refused with 403 before anything is looked up, so a refusal
says nothing about what exists). Reads are checked here: a model, run or fleet the caller may
not read answers exactly as one that does not exist, and listings keep only what the caller may
read, so neither a 404-vs-403 difference nor a count gives another tenant's models away.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from modelfleet.caller import Caller, Policy
from modelfleet.client.local import LocalPlane, _Stores
from modelfleet.config.settings import Settings
from modelfleet.config.spec import FleetSpec
from modelfleet.errors import NotFoundError, PermissionDeniedError
from modelfleet.registry.queries import VersionQuery
from modelfleet.registry.records import ModelEvent, ModelVersion
from modelfleet.tracking.queries import RunQuery
from modelfleet.tracking.records import FleetRunRecord, TenantRunRecord

if TYPE_CHECKING:
    from modelfleet.monitoring.feedback import Actual, FeedbackReport
    from modelfleet.registry.traffic import TrafficSetting
    from modelfleet.store import MetadataStore
    from modelfleet.store.autopilot import ActionRow

T = TypeVar("T")


def _unseen(what: str) -> NotFoundError:
    return NotFoundError(f"no {what} that you may read")


class GuardedPlane(LocalPlane):
    """A local plane whose reads are filtered and checked by its stores' policy."""

    @classmethod
    def with_policy(
        cls, settings: Settings, caller: Caller, policy_of: Callable[[MetadataStore], Policy]
    ) -> GuardedPlane:
        """A plane over ``settings``' stores whose every read and write asks ``policy_of``'s
        policy (built on the metadata store when first needed)."""
        return cls(settings, caller, _stores=_Stores(settings, policy_of))

    def _may(self, action: str, models: Sequence[str]) -> bool:
        policy = self._stores.policy
        if policy is None:
            return True
        try:
            policy.check(self.caller, action, models)  # type: ignore[arg-type]
        except PermissionDeniedError:
            return False
        return True

    def _require(self, model: str, what: str | None = None) -> None:
        if not self._may("read", [model]):
            raise _unseen(what or f"model {model!r}")

    def _keep(self, items: Sequence[T], model_of: Callable[[T], str]) -> list[T]:
        return [item for item in items if self._may("read", [model_of(item)])]

    def _same_as_missing(self, call: Callable[[], T], what: str) -> T:
        """``call()``, a not-found answered like an unreadable one (no hint of what exists)."""
        try:
            return call()
        except NotFoundError:
            raise _unseen(what) from None

    # -- runs
    def runs(self, query: RunQuery) -> list[TenantRunRecord]:
        """Tenant runs the caller may read."""
        return self._keep(super().runs(query), lambda r: f"{r.fleet}/{r.tenant}")

    def run(self, run_id: str) -> TenantRunRecord:
        """One run the caller may read."""
        record = self._same_as_missing(lambda: super(GuardedPlane, self).run(run_id), "run")
        self._require(f"{record.fleet}/{record.tenant}", "run")
        return record

    def fleet_runs(self, fleet: str | None, limit: int | None) -> list[FleetRunRecord]:
        """Fleet runs of the fleets the caller may read whole (their counts span tenants)."""
        return self._keep(super().fleet_runs(fleet, limit), lambda r: f"{r.fleet}/*")

    def fleet_run(self, fleet_run_id: str) -> FleetRunRecord:
        """One fleet run of a fleet the caller may read whole."""
        found = self._same_as_missing(
            lambda: super(GuardedPlane, self).fleet_run(fleet_run_id), "fleet run"
        )
        self._require(f"{found.fleet}/*", "fleet run")
        return found

    # -- registry reads
    def resolve(self, ref: str) -> ModelVersion:
        """A version of a model the caller may read."""
        version = self._same_as_missing(lambda: super(GuardedPlane, self).resolve(ref), "version")
        self._require(version.model, "version")
        return version

    def versions(self, model: str) -> list[ModelVersion]:
        """Every version of a model the caller may read."""
        self._require(model)
        return self._same_as_missing(lambda: super(GuardedPlane, self).versions(model), model)

    def search(self, query: VersionQuery) -> list[ModelVersion]:
        """Versions the caller may read."""
        return self._keep(super().search(query), lambda v: v.model)

    def history(self, model: str, limit: int | None) -> list[ModelEvent]:
        """The history of a model the caller may read."""
        self._require(model)
        return self._same_as_missing(
            lambda: super(GuardedPlane, self).history(model, limit), f"model {model!r}"
        )

    def traffic(self, model: str, environment: str) -> TrafficSetting | None:
        """The run-time routing of a model the caller may read."""
        self._require(model)
        return super().traffic(model, environment)

    def autopilot_actions(
        self, fleet: str | None, environment: str | None, status: str | None, limit: int | None
    ) -> list[ActionRow]:
        """The autopilot's actions on tenants the caller may read."""
        found = super().autopilot_actions(fleet, environment, status, limit)
        return self._keep(found, lambda a: f"{a.fleet}/{a.tenant}")

    def feedback(
        self, fleet: str, actuals: Sequence[Actual], spec: FleetSpec | None
    ) -> FeedbackReport:
        """Ground truth for tenants the caller may send feedback for (all of them, or 403)."""
        models = sorted({f"{fleet}/{a.tenant}" for a in actuals}) or [f"{fleet}/*"]
        policy = self._stores.policy
        if policy is not None:
            policy.check(self.caller, "feedback", models)
        return super().feedback(fleet, actuals, spec)
