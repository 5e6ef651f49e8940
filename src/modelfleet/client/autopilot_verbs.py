"""The client's autopilot verbs, as a part of :class:`Client`: a pass, its actions, approvals.

A pass acts through this same client (:class:`ClientHands`), so its retrains, promotions,
traffic changes and rollbacks are the caller's, checked and recorded like any other write.
It needs the fleet's data for retraining, so it runs on a local home.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from modelfleet.client.local import LocalPlane
from modelfleet.client.plane import Plane
from modelfleet.config.spec import load_spec
from modelfleet.monitoring.autopilot.act import Retrained
from modelfleet.monitoring.autopilot.service import AutopilotPass, rules_of, run_pass
from modelfleet.registry.reads import ArtifactStores
from modelfleet.registry.records import PromotionOutcome
from modelfleet.store.autopilot import ActionRow
from modelfleet.tracking.records import RunTrigger

if TYPE_CHECKING:
    from modelfleet.client.facade import Client
    from modelfleet.pipeline.recording import RunListener


class ClientHands:
    """The autopilot's hands: the client's own verbs, training in ``train_environment``."""

    def __init__(
        self,
        client: Client,
        spec_path: Path,
        train_environment: str,
        listener: RunListener | None = None,
    ) -> None:
        self.client, self.spec_path, self.train_environment = client, spec_path, train_environment
        self.listener = listener

    def retrain(self, tenants: Sequence[str], trigger: RunTrigger) -> Retrained:
        """Train the tenants again (skipping those whose data and spec are unchanged)."""
        summary = self.client.train(
            self.spec_path,
            self.train_environment,
            tenants=list(tenants),
            trigger=trigger,
            listener=self.listener,
        )
        failed = {
            r.tenant: f"{r.status}: {r.reason}" if r.reason else r.status
            for r in summary.records
            if r.status != "succeeded"
        }
        failed.update(summary.unregistered)
        failed.update(summary.unrecorded)
        fresh = {t: v for t, v in summary.versions.items() if t not in summary.reused}
        return Retrained(
            versions=fresh,
            reused=dict(summary.reused),
            unchanged=tuple(summary.skipped),
            failed=failed,
            fleet_run_id=summary.fleet_run_id,
        )

    def promote(self, model: str, environment: str, version: str, reason: str) -> PromotionOutcome:
        """Promote through the environment's gates."""
        return self.client.promote(
            model, environment, spec=self.spec_path, version=version, reason=reason
        )

    def set_alias(self, model: str, alias: str, version: str, reason: str) -> None:
        """Point an alias at a version."""
        self.client.set_alias(model, alias, version, reason=reason)

    def remove_alias(self, model: str, alias: str, reason: str) -> None:
        """Delete an alias."""
        self.client.remove_alias(model, alias, reason=reason)

    def set_traffic(
        self, model: str, environment: str, mode: str, share: float | None, reason: str
    ) -> None:
        """Route requests to the challenger."""
        self.client.set_traffic(model, environment, mode=mode, share=share, reason=reason)

    def clear_traffic(self, model: str, environment: str, reason: str) -> None:
        """Back to the spec's routing."""
        self.client.clear_traffic(model, environment, reason=reason)

    def rollback(self, model: str, environment: str, reason: str) -> None:
        """Point the environment back at its previous version."""
        self.client.rollback(model, environment, reason=reason)


class AutopilotVerbs:
    """autopilot passes, their action records and approvals, for a client."""

    plane: Plane

    def _local(self, verb: str) -> LocalPlane:
        raise NotImplementedError  # the Client's own

    def autopilot(
        self,
        spec_path: str | Path,
        *,
        environment: str = "prod",
        dry_run: bool = False,
        now: datetime | None = None,
        listener: RunListener | None = None,
    ) -> AutopilotPass:
        """One autopilot pass over the fleet in ``environment`` (``dry_run``: only the plan);
        ``listener`` hears the progress of its retraining."""
        local = self._local("autopilot")
        path = Path(spec_path)
        spec = load_spec(path, environment)
        rules = rules_of(spec, environment)
        train_in = rules.earlier[0] if rules.earlier else environment
        hands = ClientHands(self, path, train_in, listener)  # type: ignore[arg-type]
        return run_pass(
            local.metadata_store(),
            ArtifactStores(local.settings.artifacts_url),
            spec,
            environment,
            hands,
            actor=local.caller.principal,
            dry_run=dry_run,
            now=now,
        )

    def autopilot_actions(
        self,
        *,
        fleet: str | None = None,
        environment: str | None = None,
        status: str | None = None,
        limit: int | None = 100,
    ) -> list[ActionRow]:
        """The autopilot's actions, newest first (``status`` pending lists what waits)."""
        return self.plane.autopilot_actions(fleet, environment, status, limit)

    def approve_action(self, action_id: int, *, reason: str = "") -> ActionRow:
        """Approve a pending autopilot step; the next pass carries it out."""
        return self.plane.decide_action(action_id, "approved", reason)

    def reject_action(self, action_id: int, *, reason: str = "") -> ActionRow:
        """Reject a pending autopilot step; it is not proposed again while its facts stand."""
        return self.plane.decide_action(action_id, "rejected", reason)
