"""One autopilot pass (``modelfleet autopilot``): check, decide per tenant, act, record.

A pass runs the monitoring check of the target environment (alerts opened and resolved as
``monitor check`` would), gathers each tenant's facts (:mod:`.facts`), proposes at most one
step per tenant (:mod:`.plan`), asks for approval where the policy or a promotion gate wants a
person, and carries out the rest (:mod:`.act`): retrains in one training run per trigger,
registry moves through the client. Every step taken or asked for is an action record with
its reason and figures. A tenant whose step advanced (retrained, promoted into an earlier
environment) is planned again in the same pass, so a candidate can go from training to its
rollout in one pass. ``dry_run`` reads only: nothing is checked, locked, moved or recorded.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from modelfleet.config.feature_blocks import parse_duration
from modelfleet.config.spec import FleetSpec
from modelfleet.errors import ModelfleetError
from modelfleet.features.clock import as_utc
from modelfleet.monitoring.alerts import Breach, drift_breaches, performance_breaches
from modelfleet.monitoring.autopilot.act import Hands, Outcome, carry_out
from modelfleet.monitoring.autopilot.facts import gather
from modelfleet.monitoring.autopilot.lock import fleet_lock
from modelfleet.monitoring.autopilot.memory import Memory
from modelfleet.monitoring.autopilot.notify import tell
from modelfleet.monitoring.autopilot.plan import Proposal, Rules, TenantFacts, propose
from modelfleet.monitoring.performance import PerformanceReport
from modelfleet.monitoring.service import check, drift_report, performance
from modelfleet.registry.policy import PromotionPolicy
from modelfleet.registry.reads import ArtifactStores
from modelfleet.registry.refs import check_alias
from modelfleet.store import MetadataStore
from modelfleet.store.autopilot import NewActionRow
from modelfleet.tracking.records import RunTrigger

FOLLOW_UP_ROUNDS = 4  # promote into each earlier environment, then roll out: enough rounds


@dataclass(frozen=True)
class StepRecord:
    """One tenant's step in a pass, as shown and (unless held or planned) recorded."""

    tenant: str
    kind: str
    version: str | None
    target: str | None
    status: str  # done | failed | pending | skipped | held | planned
    reason: str
    figures: Mapping[str, object]


@dataclass(frozen=True)
class AutopilotPass:
    """What one pass judged and did."""

    pass_id: str
    fleet: str
    environment: str
    at: datetime
    dry_run: bool
    tenants: int  # tenants with a version of the fleet
    drifted: tuple[str, ...]
    degraded: tuple[str, ...]
    steps: tuple[StepRecord, ...]
    sink_failures: tuple[str, ...] = ()

    def count(self, status: str) -> int:
        """How many steps ended with ``status``."""
        return sum(1 for s in self.steps if s.status == status)


def rules_of(spec: FleetSpec, environment: str) -> Rules:
    """The autopilot rules of ``spec`` for ``environment`` (PromotionError off the order)."""
    policy = PromotionPolicy.from_spec(spec)
    earlier = tuple(reversed(policy.earlier(environment)))
    block = spec.monitoring
    return Rules.of(block.autopilot, block.performance, environment, earlier)


def run_pass(
    store: MetadataStore,
    stores: ArtifactStores,
    spec: FleetSpec,
    environment: str,
    hands: Hands,
    *,
    actor: str,
    dry_run: bool = False,
    now: datetime | None = None,
) -> AutopilotPass:
    """One pass of the autopilot over ``spec``'s fleet in ``environment`` (module doc)."""
    environment = check_alias(environment)
    rules = rules_of(spec, environment)
    at = as_utc(now) if now is not None else datetime.now(UTC)
    pass_id = uuid.uuid4().hex[:12]
    if dry_run:
        return _plan_only(store, stores, spec, rules, pass_id, at)
    lease = parse_duration(spec.monitoring.autopilot.lease)
    with fleet_lock(store, spec.name, environment, lease, at):
        report = check(store, stores, spec, environment, now=at)
        breaches = [
            Breach(a.tenant, a.kind, a.version, a.message)  # type: ignore[arg-type]
            for a in (*report.opened, *report.still_open)
        ]
        run = _Run(store, spec.name, rules, hands, actor, pass_id, at, breaches, report.performance)
        steps = run.everything()
        mine = store.autopilot_actions(spec.name, environment, limit=None, pass_id=pass_id)
        told = tell(mine, spec.monitoring.alerts.sinks, Path(spec.base_dir))
        return AutopilotPass(
            pass_id,
            spec.name,
            environment,
            at,
            False,
            run.tenants,
            tuple(sorted({b.tenant for b in breaches if b.kind == "drift"})),
            tuple(sorted({b.tenant for b in breaches if b.kind == "performance"})),
            tuple(steps),
            (*report.sink_failures, *told),
        )


def _plan_only(
    store: MetadataStore,
    stores: ArtifactStores,
    spec: FleetSpec,
    rules: Rules,
    pass_id: str,
    at: datetime,
) -> AutopilotPass:
    """What a pass would do now, reading only (no check is recorded, nothing moves)."""
    env = rules.environment
    drift = drift_report(store, stores, spec, env, until=at)
    perf = performance(store, spec, env, until=at)
    breaches = [*drift_breaches(drift.result, drift.versions)[0], *performance_breaches(perf)[0]]
    facts = gather(store, spec.name, rules, breaches=breaches, performance=perf, now=at)
    steps = []
    for proposal in _proposals(facts, rules, at):
        decided = _decision(facts[proposal.tenant], proposal)
        status = "held" if proposal.kind == "hold" else "planned"
        reason = proposal.reason
        if decided is not None and decided[0] == "held":
            status, reason = decided
        elif proposal.step in rules.approval and decided is None:
            reason += " (needs approval: would be asked for)"
        steps.append(_record(proposal, status, reason, proposal.figures))
    return AutopilotPass(
        pass_id,
        spec.name,
        env,
        at,
        True,
        len(facts),
        tuple(sorted({b.tenant for b in breaches if b.kind == "drift"})),
        tuple(sorted({b.tenant for b in breaches if b.kind == "performance"})),
        tuple(steps),
    )


def _proposals(facts: Mapping[str, TenantFacts], rules: Rules, at: datetime) -> list[Proposal]:
    found = (propose(fact, rules, at) for _, fact in sorted(facts.items()))
    return [p for p in found if p is not None]


def _decision(fact: TenantFacts, proposal: Proposal) -> tuple[str, str] | None:
    """("held", why) while a person's answer is awaited or was no; ("approved", "") when
    approved; None when nobody was asked."""
    row = Memory(fact.actions).decision(proposal.kind, proposal.version, proposal.target)
    if row is None:
        return None
    if row.status == "pending":
        return "held", f"{proposal.reason}; waits for approval (autopilot action {row.id})"
    if row.status == "rejected":
        return "held", f"{proposal.reason}; rejected by {row.decided_by} (action {row.id})"
    return "approved", ""


def _record(
    proposal: Proposal, status: str, reason: str, figures: Mapping[str, object]
) -> StepRecord:
    return StepRecord(
        proposal.tenant,
        proposal.kind,
        proposal.version,
        proposal.target,
        status,
        reason,
        dict(figures),
    )


class _Run:
    """The acting part of one pass (planning rounds, approvals, retrains, records)."""

    def __init__(
        self,
        store: MetadataStore,
        fleet: str,
        rules: Rules,
        hands: Hands,
        actor: str,
        pass_id: str,
        at: datetime,
        breaches: Sequence[Breach],
        perf: PerformanceReport,
    ) -> None:
        self.store, self.fleet, self.rules, self.hands = store, fleet, rules, hands
        self.actor, self.pass_id, self.at = actor, pass_id, at
        self.breaches, self.perf = breaches, perf
        self.tenants = 0

    def facts(self, tenants: Collection[str] | None = None) -> dict[str, TenantFacts]:
        return gather(
            self.store,
            self.fleet,
            self.rules,
            breaches=self.breaches,
            performance=self.perf,
            now=self.at,
            tenants=tenants,
        )

    def everything(self) -> list[StepRecord]:
        facts = self.facts()
        self.tenants = len(facts)
        steps: list[StepRecord] = []
        proposals = _proposals(facts, self.rules, self.at)
        self._expire_stale_requests(facts, proposals)
        for _ in range(FOLLOW_UP_ROUNDS + 1):
            outcomes = self._act(facts, proposals)
            steps.extend(
                _record(o.proposal, o.status, o.reason, {**o.proposal.figures, **o.figures})
                for o in outcomes
            )
            advanced = {
                o.proposal.tenant
                for o in outcomes
                if o.status == "done" and o.proposal.kind in ("retrain", "promote")
            }
            if not advanced:
                break
            facts = self.facts(advanced)
            proposals = [
                p
                for p in _proposals(facts, self.rules, self.at)
                if p.kind in ("promote", "rollout", "conclude")
            ]
        return steps

    def _act(self, facts: Mapping[str, TenantFacts], proposals: list[Proposal]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        retrains: dict[RunTrigger, list[Proposal]] = defaultdict(list)
        for proposal in proposals:
            if proposal.kind == "hold":
                outcomes.append(Outcome(proposal, "held", proposal.reason))
                continue
            decided = _decision(facts[proposal.tenant], proposal)
            if decided is not None and decided[0] == "held":
                outcomes.append(Outcome(proposal, "held", decided[1]))
            elif decided is None and proposal.step in self.rules.approval:
                why = f"{proposal.reason}; waits for approval (the policy asks for {proposal.step})"
                request = Outcome(proposal, "pending", why)
                outcomes.append(request)
                self._write([request])
            elif proposal.kind == "retrain":
                retrains[proposal.trigger or "schedule"].append(proposal)
            else:
                outcome = carry_out(self.hands, self.fleet, proposal, self.rules)
                outcomes.append(outcome)
                self._write([outcome])
        for trigger, batch in retrains.items():
            done = self._retrain(trigger, batch)
            outcomes.extend(done)
            self._write(done)
        return outcomes

    def _retrain(self, trigger: RunTrigger, asked: list[Proposal]) -> list[Outcome]:
        tenants = [p.tenant for p in asked]
        try:
            result = self.hands.retrain(tenants, trigger)
        except ModelfleetError as exc:
            return [Outcome(p, "failed", f"{p.reason}; training failed: {exc}") for p in asked]
        outcomes = []
        for p in asked:
            run = {"fleet_run": result.fleet_run_id, "trigger": trigger}
            if p.tenant in result.versions:
                version = result.versions[p.tenant]
                why = f"{p.reason}; candidate {version} registered"
                outcomes.append(Outcome(p, "done", why, {**run, "candidate": version}))
            elif p.tenant in result.failed:
                why = f"{p.reason}; {result.failed[p.tenant]}"
                outcomes.append(Outcome(p, "failed", why, run))
            else:
                same = result.reused.get(p.tenant)
                what = f"the same version {same} again" if same else "no change"
                why = f"{p.reason}; data and spec unchanged since the last training: {what}"
                outcomes.append(Outcome(p, "skipped", why, run))
        return outcomes

    def _write(self, outcomes: Sequence[Outcome]) -> None:
        rows = [
            NewActionRow(
                pass_id=self.pass_id,
                fleet=self.fleet,
                environment=self.rules.environment,
                tenant=o.proposal.tenant,
                kind=o.proposal.kind,
                version=o.proposal.version,
                status=o.status,
                reason=o.reason,
                figures=json.dumps(
                    {**o.proposal.figures, **o.figures, "to": o.proposal.target},
                    default=str,
                    sort_keys=True,
                ),
                at=self.at,
                actor=self.actor,
            )
            for o in outcomes
            if o.status not in ("held", "planned")
        ]
        self.store.add_autopilot_actions(rows)

    def _expire_stale_requests(
        self, facts: Mapping[str, TenantFacts], proposals: Sequence[Proposal]
    ) -> None:
        """Pending approvals whose step is no longer proposed are expired, saying why."""
        wanted = {(p.tenant, p.kind, p.version, p.target) for p in proposals}
        for fact in facts.values():
            for row in fact.actions:
                if row.status != "pending":
                    continue
                target = json.loads(row.figures).get("to")
                if (row.tenant, row.kind, row.version, target) in wanted:
                    continue
                self.store.decide_autopilot_action(
                    row.id,
                    from_status="pending",
                    to_status="expired",
                    actor=None,
                    at=self.at,
                    reason=f"{row.reason}; expired: no longer proposed at {self.at.isoformat()}",
                )
