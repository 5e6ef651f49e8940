"""Gather what the autopilot's decisions look at, for all tenants at once where it can.

One registry search gives every version and its aliases; one read gives the autopilot's own
actions; the monitoring check of the same pass gives the breaches and the performance rows.
Only tenants that need more are read one by one: the running rollouts (their traffic setting,
and one joined read of the prediction log for all of them) and the rollback suspects (their
alias history, to know when the live version came in and what it replaced).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

import pyarrow as pa

from modelfleet.monitoring.alerts import Breach
from modelfleet.monitoring.autopilot.canary import paired_errors, paired_verdict
from modelfleet.monitoring.autopilot.memory import Memory
from modelfleet.monitoring.autopilot.plan import LiveFacts, Rules, TenantFacts, worse_than_before
from modelfleet.monitoring.performance import PerformanceReport, PerformanceRow
from modelfleet.registry.queries import VersionQuery
from modelfleet.registry.reads import history, search
from modelfleet.registry.records import ModelVersion
from modelfleet.registry.semver import SemVer
from modelfleet.store import MetadataStore
from modelfleet.store.autopilot import ActionRow

CHALLENGER = "challenger"


def gather(
    store: MetadataStore,
    fleet: str,
    rules: Rules,
    *,
    breaches: Sequence[Breach],
    performance: PerformanceReport,
    now: datetime,
    tenants: Collection[str] | None = None,
) -> dict[str, TenantFacts]:
    """The facts of every tenant of ``fleet`` (or of ``tenants``) for ``rules.environment``."""
    env = rules.environment
    by_tenant: dict[str, list[ModelVersion]] = {}
    for version in search(store, VersionQuery(fleet=fleet, limit=None)):
        if version.status != "archived" and (tenants is None or version.tenant in tenants):
            by_tenant.setdefault(version.tenant, []).append(version)
    actions: dict[str, list[ActionRow]] = {}
    since = now - rules.memory_span  # older actions decide nothing: they are not read
    for row in reversed(store.autopilot_actions(fleet, env, limit=None, since=since)):
        actions.setdefault(row.tenant, []).append(row)
    champions = _champion_rows(performance)
    facts: dict[str, TenantFacts] = {}
    for tenant, versions in by_tenant.items():
        live_version = next((v for v in versions if env in v.aliases), None)
        live = None
        if live_version is not None:
            mine = champions.get(tenant, {})
            live = LiveFacts(
                version=str(live_version.version),
                created_at=live_version.created_at,
                performance=mine.get(str(live_version.version)),
            )
        found = {
            b.kind for b in breaches if b.tenant == tenant and live and b.version == live.version
        }
        facts[tenant] = TenantFacts(
            tenant=tenant,
            live=live,
            aliases={str(v.version): v.aliases for v in versions},
            breaches=frozenset(found),
            actions=tuple(actions.get(tenant, ())),
        )
    facts = _with_rollback_history(store, fleet, rules, facts, champions)
    return _with_rollouts(store, fleet, rules, facts, now)


def _champion_rows(report: PerformanceReport) -> dict[str, dict[str, PerformanceRow]]:
    """tenant -> version -> its champion figures over the whole window."""
    found: dict[str, dict[str, PerformanceRow]] = {}
    for row in report.rows:
        if row.arm == "champion" and row.period == "all":
            found.setdefault(row.tenant, {})[row.version] = row
    return found


def _with_rollback_history(
    store: MetadataStore,
    fleet: str,
    rules: Rules,
    facts: dict[str, TenantFacts],
    champions: Mapping[str, Mapping[str, PerformanceRow]],
) -> dict[str, TenantFacts]:
    """Add when the live version came in and what it replaced, for tenants that may be worse."""
    if not rules.rollback:
        return facts
    out = dict(facts)
    for tenant, fact in facts.items():
        live = fact.live
        if live is None or live.performance is None:
            continue
        others = [v for v in champions.get(tenant, {}) if v != live.version]
        before = max(others, key=SemVer.parse) if others else None
        suspect = LiveFacts(
            live.version,
            live.created_at,
            previous=before,
            performance=live.performance,
            previous_performance=champions[tenant][before] if before else None,
        )
        if worse_than_before(suspect, rules) is None and not live.performance.degraded:
            continue
        entered, previous = _entered(store, f"{fleet}/{tenant}", rules.environment, live.version)
        if entered is None:
            continue
        previous_row = champions.get(tenant, {}).get(previous) if previous else None
        out[tenant] = replace(
            fact,
            live=LiveFacts(
                live.version,
                live.created_at,
                entered_at=entered,
                previous=previous,
                performance=live.performance,
                previous_performance=previous_row,
            ),
        )
    return out


def _entered(
    store: MetadataStore, model: str, environment: str, version: str
) -> tuple[datetime | None, str | None]:
    """When ``version`` entered ``environment`` by a promotion, and the version it replaced.

    (None, None) when the newest move of the alias is not a promotion to ``version`` (it came
    back by a rollback, say): a rollback target is not itself rolled back.
    """
    for event in history(store, model, limit=200):
        if event.alias != environment or event.kind not in ("alias_set", "rolled_back"):
            continue
        promoted = event.kind == "alias_set" and str(event.to_version) == version
        if promoted and event.from_version is not None:
            return event.at, str(event.from_version)
        return None, None
    return None, None


def _with_rollouts(
    store: MetadataStore, fleet: str, rules: Rules, facts: dict[str, TenantFacts], now: datetime
) -> dict[str, TenantFacts]:
    """Add the paired verdict and whether the setting still holds, for running rollouts."""
    running: dict[str, ActionRow] = {}
    for tenant, fact in facts.items():
        row = Memory(fact.actions).rollout()
        if row is not None and row.version is not None and fact.live is not None:
            running[tenant] = row
    if not running:
        return facts
    # Pairs are dates both versions forecast: a date can be paired whenever the challenger
    # forecast it (it answers only since its rollout), including dates the champion forecast
    # earlier; the performance window bounds how far back those dates may lie.
    since = min(row.at for row in running.values()) - rules.window
    joined = store.predictions_with_actuals(fleet, rules.environment, since, now)
    table = pa.table(
        {
            "tenant": pa.array(joined.tenant, pa.string()),
            "version": pa.array(joined.version, pa.string()),
            "ts": pa.array(joined.ts, pa.timestamp("us", "UTC")),
            "prediction": pa.array(joined.prediction, pa.float64()),
            "actual": pa.array(joined.actual, pa.float64()),
        }
    )
    champion = {t: facts[t].live.version for t in running if facts[t].live is not None}  # type: ignore[union-attr]
    challenger = {t: str(row.version) for t, row in running.items()}
    errors = paired_errors(table, champion, challenger)
    out = dict(facts)
    for tenant, row in running.items():
        fact = facts[tenant]
        setting = store.traffic_of(f"{fleet}/{tenant}", rules.environment)
        intact = (
            setting is not None
            and setting.challenger == CHALLENGER
            and row.version in fact.aliases
            and CHALLENGER in fact.aliases[str(row.version)]
        )
        verdict = None
        if tenant in errors:
            verdict = paired_verdict(errors[tenant], min_pairs=rules.min_pairs, alpha=rules.alpha)
        out[tenant] = replace(fact, rollout_intact=intact, verdict=verdict)
    return out
