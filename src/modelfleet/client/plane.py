"""The platform's verbs, once: the :class:`Plane` protocol a :class:`~.Client` runs over.

A plane is to the client what a transport is to an httpx client: the one thing that differs
between working in process (:class:`~.local.LocalPlane`, over the stores) and over the network
(:class:`~.http.HttpPlane`, over the control plane). Every verb takes and returns domain
records and query objects, so the facade, the faces and the contract suite are written once.
Writes take no actor: a plane knows its caller (local: the OS user; HTTP: whoever the server
decides the request comes from).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from modelfleet.config.serving_blocks import RoutingSpec
from modelfleet.config.spec import FleetSpec
from modelfleet.monitoring.feedback import Actual, FeedbackReport
from modelfleet.registry.queries import VersionQuery
from modelfleet.registry.records import (
    ModelEvent,
    ModelVersion,
    PromotionBatch,
    PromotionOutcome,
)
from modelfleet.registry.traffic import TrafficSetting
from modelfleet.store.autopilot import ActionRow
from modelfleet.tracking.queries import RunQuery
from modelfleet.tracking.records import FleetRunRecord, TenantRunRecord


@dataclass(frozen=True)
class PlaneInfo:
    """What a plane works on: its kind, the store backend and the fleets with a policy."""

    kind: str  # "local" or "http"
    version: str
    store: str  # "sqlite" or "postgresql"
    fleets: tuple[str, ...]
    caller: str  # who writes are recorded as ("decided by the server" over HTTP)


class Plane(Protocol):
    """Runs, the registry and promotion, in process or over HTTP (same arguments, same records)."""

    def info(self) -> PlaneInfo:
        """What this plane works on; raises when its store or server cannot be reached."""
        ...

    # -- runs
    def runs(self, query: RunQuery) -> list[TenantRunRecord]:
        """Tenant runs matching ``query``, newest first."""
        ...

    def run(self, run_id: str) -> TenantRunRecord:
        """One tenant run by id or unique id prefix."""
        ...

    def fleet_runs(self, fleet: str | None, limit: int | None) -> list[FleetRunRecord]:
        """Fleet runs, newest first."""
        ...

    def fleet_run(self, fleet_run_id: str) -> FleetRunRecord:
        """One fleet run by its full id."""
        ...

    # -- registry reads
    def resolve(self, ref: str) -> ModelVersion:
        """The version ``fleet/tenant@alias``, ``fleet/tenant:1.2.0`` or ``fleet/tenant`` names."""
        ...

    def versions(self, model: str) -> list[ModelVersion]:
        """Every version of ``fleet/tenant``, newest first."""
        ...

    def search(self, query: VersionQuery) -> list[ModelVersion]:
        """Versions matching ``query``, by model, newest first."""
        ...

    def history(self, model: str, limit: int | None) -> list[ModelEvent]:
        """The model's events, newest first."""
        ...

    def card(self, ref: str, fmt: str, spec: FleetSpec | None) -> str:
        """The model card of the version ``ref`` names (markdown or html)."""
        ...

    # -- registry writes
    def register(self, run_id: str, tags: Mapping[str, str], description: str) -> ModelVersion:
        """Make a succeeded run a candidate version of its model."""
        ...

    def update_metadata(
        self,
        ref: str,
        tags: Mapping[str, str] | None,
        description: str | None,
        reason: str,
    ) -> ModelVersion:
        """Merge tags and/or set the description: the new PATCH version."""
        ...

    def promote(
        self,
        model: str,
        environment: str,
        version: str | None,
        reason: str,
        spec: FleetSpec | None,
    ) -> PromotionOutcome:
        """Promote a model under its fleet's policy (the local spec's, or the server's)."""
        ...

    def promote_fleet(
        self, fleet: str, environment: str, reason: str, spec: FleetSpec | None
    ) -> PromotionBatch:
        """Promote every model of ``fleet`` whose candidate passes the policy."""
        ...

    def approve(self, model: str, version: str, environment: str, reason: str) -> ModelEvent:
        """Record a human approval of ``version`` for ``environment``."""
        ...

    def rollback(self, model: str, environment: str, reason: str) -> ModelEvent:
        """Point ``environment`` back at the version it held before its last move."""
        ...

    def rollback_batch(self, batch_id: str, reason: str, skip_moved: bool) -> list[ModelEvent]:
        """Undo every alias move of one fleet promotion batch."""
        ...

    def set_alias(self, model: str, alias: str, version: str, reason: str) -> ModelEvent:
        """Point an alias at a version; no policy is asked."""
        ...

    def remove_alias(self, model: str, alias: str, reason: str) -> ModelEvent:
        """Delete an alias (its version stays)."""
        ...

    def archive(self, model: str, version: str, reason: str) -> ModelEvent:
        """Retire a version (refused while an alias points at it)."""
        ...

    def delete_version(self, model: str, version: str, reason: str) -> None:
        """Delete a version's record (refused while aliased; history stays)."""
        ...

    def set_traffic(
        self, model: str, environment: str, routing: RoutingSpec, reason: str
    ) -> ModelEvent:
        """Set a tenant's run-time routing in an environment (an event)."""
        ...

    def clear_traffic(self, model: str, environment: str, reason: str) -> ModelEvent:
        """Drop a tenant's run-time routing in an environment (an event)."""
        ...

    def traffic(self, model: str, environment: str) -> TrafficSetting | None:
        """A tenant's run-time routing in an environment, or None."""
        ...

    def autopilot_actions(
        self, fleet: str | None, environment: str | None, status: str | None, limit: int | None
    ) -> list[ActionRow]:
        """The autopilot's actions, newest first."""
        ...

    def decide_action(
        self, action_id: int, decision: Literal["approved", "rejected"], reason: str
    ) -> ActionRow:
        """Approve or reject a pending autopilot step."""
        ...

    # -- monitoring
    def feedback(
        self, fleet: str, actuals: Sequence[Actual], spec: FleetSpec | None
    ) -> FeedbackReport:
        """Store ground truth of ``fleet`` as records, all or none, counted as ``modelfleet
        feedback`` counts (the local spec's lateness setting, or the server's)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
