"""The autopilot's decision for one tenant, as a pure function of the facts and the policy.

At most one step per tenant is proposed at a time, in this order of precedence:

1. a running rollout is **concluded** (the challenger is promoted into the environment) when
   the paired test finds it better, **stopped** when worse, when someone changed its traffic,
   or when ``max_duration`` passed without a verdict; otherwise it is held;
2. a version that entered the environment within ``rollback.within`` and is **worse** live
   (WMAPE above its holdout by more than ``max_drop``, or above the version before it by more
   than ``max_drop`` on at least ``min_rows`` outcomes each) is **rolled back**;
3. a candidate the autopilot trained is **promoted** into the next earlier environment it is
   not in (through that environment's gates), then **rolled out** (canary, ab or shadow as the
   challenger) or, with ``mode: direct``, promoted into the target at once (**conclude**);
4. a tenant with an open drift or performance breach on its live version, or whose live
   version is older than ``schedule``, is **retrained**, unless it was retrained within
   ``cooldown``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from modelfleet.config.autopilot_blocks import AutopilotSpec
from modelfleet.config.feature_blocks import parse_duration
from modelfleet.config.monitoring_blocks import PerformanceSpec
from modelfleet.monitoring.autopilot.canary import PairedVerdict
from modelfleet.monitoring.autopilot.memory import Memory
from modelfleet.monitoring.performance import PerformanceRow
from modelfleet.store.autopilot import ActionRow
from modelfleet.tracking.records import RunTrigger

StepKind = Literal["retrain", "promote", "rollout", "conclude", "stop", "rollback", "hold"]
Figure = float | int | str | bool | None


@dataclass(frozen=True)
class Rules:
    """A fleet's autopilot policy for one target environment, with durations parsed."""

    environment: str
    earlier: tuple[str, ...]  # the environments before it in the promotion order, oldest first
    on_drift: bool = True
    on_degradation: bool = True
    schedule: timedelta | None = None
    cooldown: timedelta = timedelta(days=7)
    mode: str = "canary"
    share: float = 0.1
    min_pairs: int = 30
    alpha: float = 0.05
    max_duration: timedelta = timedelta(days=14)
    rollback: bool = True
    within: timedelta = timedelta(days=14)
    max_drop: float = 0.05
    min_rows: int = 7
    window: timedelta = timedelta(days=28)  # predicted dates a rollout's pairs may come from
    approval: frozenset[str] = frozenset()

    @property
    def memory_span(self) -> timedelta:
        """How far back the autopilot's own actions matter to a decision: past every duration
        of the policy (a rollout's life, the rollback window, the cooldown, the schedule)."""
        longest = max(self.max_duration, self.within, self.cooldown, self.schedule or timedelta())
        return max(timedelta(days=90), 2 * longest)

    @classmethod
    def of(
        cls,
        spec: AutopilotSpec,
        performance: PerformanceSpec,
        environment: str,
        earlier: tuple[str, ...],
    ) -> Rules:
        """The rules a spec's ``monitoring.autopilot`` and ``performance`` blocks state."""
        retrain, rollout = spec.retrain, spec.rollout
        return cls(
            environment=environment,
            earlier=earlier,
            on_drift=retrain.on_drift,
            on_degradation=retrain.on_degradation,
            schedule=parse_duration(retrain.schedule) if retrain.schedule else None,
            cooldown=parse_duration(retrain.cooldown),
            mode=rollout.mode,
            share=rollout.share,
            min_pairs=rollout.min_pairs,
            alpha=rollout.alpha,
            max_duration=parse_duration(rollout.max_duration),
            rollback=spec.rollback.enabled,
            within=parse_duration(spec.rollback.within),
            max_drop=performance.max_drop,
            min_rows=performance.min_rows,
            window=parse_duration(performance.window),
            approval=frozenset(spec.approval),
        )


@dataclass(frozen=True)
class LiveFacts:
    """The version live in the target environment and how it does."""

    version: str
    created_at: datetime
    entered_at: datetime | None = None  # when it entered the environment (None: not read)
    previous: str | None = None  # the version it replaced
    performance: PerformanceRow | None = None  # its champion figures over the window
    previous_performance: PerformanceRow | None = None


@dataclass(frozen=True)
class TenantFacts:
    """Everything the decision for one tenant looks at."""

    tenant: str
    live: LiveFacts | None
    aliases: Mapping[str, tuple[str, ...]]  # version -> its aliases (archived versions left out)
    breaches: frozenset[str] = frozenset()  # "drift", "performance": open on the live version
    actions: tuple[ActionRow, ...] = ()  # the autopilot's, oldest first
    rollout_intact: bool = True  # the running rollout's traffic and challenger alias are as set
    verdict: PairedVerdict | None = None  # the running rollout's paired test


@dataclass(frozen=True)
class Proposal:
    """One step for one tenant, with why and the figures behind it."""

    tenant: str
    kind: StepKind
    version: str | None
    reason: str
    target: str | None = None  # the environment a version moves into
    trigger: RunTrigger | None = None  # retrain: why the run starts
    figures: Mapping[str, Figure] = field(default_factory=dict)

    @property
    def step(self) -> str | None:
        """The policy step this is, for ``approval`` (stop and hold never wait)."""
        return None if self.kind in ("stop", "hold") else self.kind


def propose(facts: TenantFacts, rules: Rules, now: datetime) -> Proposal | None:
    """The one step to take for this tenant now, or None when there is nothing to do."""
    live = facts.live
    if live is None:
        return None  # nothing is live here: the autopilot keeps, it does not onboard
    memory = Memory(facts.actions)
    running = memory.rollout()
    if running is not None:
        return _rollout_step(facts, rules, running, now)
    rollback = _rollback_step(facts, rules, memory, live, now)
    if rollback is not None:
        return rollback
    candidate = memory.candidate(live.version)
    if candidate is not None and candidate in facts.aliases:
        return _candidate_step(facts.tenant, candidate, facts.aliases[candidate], rules)
    return _retrain_step(facts, rules, memory, live, now)


def _rollout_step(facts: TenantFacts, rules: Rules, running: ActionRow, now: datetime) -> Proposal:
    version, tenant, env = running.version, facts.tenant, rules.environment
    verdict = facts.verdict
    figures = verdict.figures() if verdict is not None else {"pairs": 0}
    said = verdict.describe() if verdict is not None else "no paired outcomes yet"
    if not facts.rollout_intact:
        why = "its traffic or challenger alias was changed outside the autopilot; stopped"
        return Proposal(tenant, "stop", version, why, env, figures=figures)
    concluded = Memory(facts.actions).concluding(running)
    if concluded is not None and concluded.status in ("failed", "rejected"):
        # Better live, but the target's gate (or a person) said no: end the rollout.
        why = f"its promotion into {env} was {concluded.status} ({concluded.reason}); stopped"
        return Proposal(tenant, "stop", version, why, env, figures=figures)
    if verdict is not None and verdict.outcome == "better":
        why = f"rollout verdict: better ({said}); promoting it into {env}"
        return Proposal(tenant, "conclude", version, why, env, figures=figures)
    if verdict is not None and verdict.outcome == "worse":
        return Proposal(
            tenant, "stop", version, f"rollout verdict: worse ({said})", env, figures=figures
        )
    if now - running.at > rules.max_duration:
        why = f"no verdict within {rules.max_duration} ({said}); stopped"
        return Proposal(tenant, "stop", version, why, env, figures=figures)
    need = (
        f"; a verdict needs {rules.min_pairs}"
        if verdict is None or verdict.pairs < rules.min_pairs
        else ""
    )
    return Proposal(tenant, "hold", version, f"rollout running: {said}{need}", env, figures=figures)


def _rollback_step(
    facts: TenantFacts, rules: Rules, memory: Memory, live: LiveFacts, now: datetime
) -> Proposal | None:
    if not rules.rollback or live.entered_at is None or live.previous is None:
        return None
    if now - live.entered_at > rules.within or memory.rolled_back(live.version):
        return None
    why = worse_than_before(live, rules)
    if why is None:
        return None
    perf = live.performance
    figures: dict[str, Figure] = {
        "live_wmape": perf.wmape if perf else None,
        "holdout_wmape": perf.holdout_wmape if perf else None,
        "rows": perf.rows if perf else 0,
        "previous": live.previous,
        "previous_wmape": live.previous_performance.wmape if live.previous_performance else None,
    }
    reason = f"{live.version} is worse live: {why}; rolling back to {live.previous}"
    return Proposal(
        facts.tenant, "rollback", live.version, reason, rules.environment, figures=figures
    )


def worse_than_before(live: LiveFacts, rules: Rules) -> str | None:
    """Why the live version counts as worse (against its holdout or its predecessor), or None."""
    perf, before = live.performance, live.previous_performance
    if perf is None or perf.rows < rules.min_rows:
        return None
    if (
        before is not None
        and before.rows >= rules.min_rows
        and before.wmape > 0
        and perf.wmape > before.wmape * (1 + rules.max_drop)
    ):
        change = perf.wmape / before.wmape - 1
        return (
            f"WMAPE {perf.wmape:.4g} on {perf.rows} outcomes vs {before.wmape:.4g} for "
            f"{before.version} ({change:+.1%}, allowed +{rules.max_drop:.0%})"
        )
    if perf.change is not None and perf.change > rules.max_drop:
        return (
            f"WMAPE {perf.wmape:.4g} on {perf.rows} outcomes vs its holdout "
            f"{perf.holdout_wmape:.4g} ({perf.change:+.1%}, allowed +{rules.max_drop:.0%})"
        )
    return None


def _candidate_step(
    tenant: str, candidate: str, aliases: tuple[str, ...], rules: Rules
) -> Proposal:
    for env in rules.earlier:
        if env not in aliases:
            why = f"retrained candidate {candidate}: promote into {env} through its gates"
            return Proposal(tenant, "promote", candidate, why, env)
    env = rules.environment
    if rules.mode == "direct":
        passed = ", ".join(rules.earlier) or "registration"
        why = f"candidate {candidate} passed {passed}: promote into {env}"
        return Proposal(tenant, "conclude", candidate, why, env)
    share = "every request, answering none" if rules.mode == "shadow" else f"{rules.share:.0%}"
    why = f"candidate {candidate}: {rules.mode} in {env} as the challenger ({share})"
    return Proposal(
        tenant, "rollout", candidate, why, env, figures={"mode": rules.mode, "share": rules.share}
    )


def _retrain_step(
    facts: TenantFacts, rules: Rules, memory: Memory, live: LiveFacts, now: datetime
) -> Proposal | None:
    causes: list[tuple[RunTrigger, str]] = []
    if rules.on_drift and "drift" in facts.breaches:
        causes.append(("drift", "its inputs drifted"))
    if rules.on_degradation and "performance" in facts.breaches:
        causes.append(
            ("performance", f"it is worse than its holdout by more than {rules.max_drop:.0%}")
        )
    if rules.schedule is not None and now - live.created_at > rules.schedule:
        causes.append(
            ("schedule", f"its live version {live.version} is older than {rules.schedule}")
        )
    if not causes:
        return None
    why = "; ".join(text for _, text in causes)
    last = memory.last_retrain()
    if last is not None and now - last < rules.cooldown:
        again = (last + rules.cooldown).isoformat(timespec="minutes")
        return Proposal(
            facts.tenant,
            "hold",
            live.version,
            f"retrain due ({why}) but cooling down until {again}",
        )
    return Proposal(facts.tenant, "retrain", live.version, f"retrain: {why}", trigger=causes[0][0])
