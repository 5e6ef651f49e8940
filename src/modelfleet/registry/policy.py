"""Promotion rules as pure functions: environment order, gates per step, approvals.

:func:`decide` takes the facts about one promotion (the candidate's metrics, where it is now,
how it compares with the version in the target environment, whether it is approved) and
returns the verdict with a sentence a person can act on. Gathering the facts (store reads,
re-scoring) and applying the verdict is :mod:`modelfleet.registry.promotion`'s job.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from modelfleet.config.spec import FleetSpec
from modelfleet.errors import PromotionError
from modelfleet.registry.semver import SemVer
from modelfleet.training.gates import evaluate_gate, relative_improvement
from modelfleet.training.metrics import METRIC_DIRECTION


@dataclass(frozen=True)
class StepRule:
    """What entering one environment takes; ``None`` switches a gate off."""

    min_improvement: float | None = None
    max_regression: float | None = None
    approval: bool = False
    four_eyes: bool = False  # the registrant's own approval does not count


@dataclass(frozen=True)
class PromotionPolicy:
    """Environment order, whether steps may be skipped, the rule per step and the gate metric."""

    order: tuple[str, ...]
    allow_skip: bool = False
    steps: Mapping[str, StepRule] = field(default_factory=dict)
    metric: str = "wmape"

    def __post_init__(self) -> None:
        object.__setattr__(self, "order", tuple(self.order))
        object.__setattr__(self, "steps", dict(self.steps))
        if not self.order:
            raise PromotionError("a promotion policy needs at least one environment in 'order'")
        unknown = sorted(set(self.steps) - set(self.order))
        if unknown:
            raise PromotionError(f"promotion steps {unknown} are not in the order {self.order}")
        if self.metric not in METRIC_DIRECTION:
            raise PromotionError(
                f"promotion metric {self.metric!r} is unknown; use one of "
                f"{sorted(METRIC_DIRECTION)}"
            )

    @classmethod
    def from_spec(cls, spec: FleetSpec) -> PromotionPolicy:
        """The policy a fleet spec declares (order defaults to its environments as declared)."""
        promotion = spec.promotion
        return cls(
            order=promotion.order or tuple(spec.environments),
            allow_skip=promotion.allow_skip,
            steps={
                name: StepRule(
                    step.min_improvement, step.max_regression, step.approval, step.four_eyes
                )
                for name, step in promotion.steps.items()
            },
            metric=spec.gate_metric,
        )

    def rule(self, environment: str) -> StepRule:
        """The rule for entering ``environment`` (no gates, no approval when unset)."""
        self.position(environment)
        return self.steps.get(environment, StepRule())

    def position(self, environment: str) -> int:
        """Index of ``environment`` in the order; PromotionError naming the order otherwise."""
        if environment not in self.order:
            raise PromotionError(
                f"{environment!r} is not an environment of the promotion order "
                f"({' -> '.join(self.order)}); promote to one of those, or move other aliases "
                "(champion, challenger) with set_alias"
            )
        return self.order.index(environment)

    def earlier(self, environment: str) -> tuple[str, ...]:
        """Environments before ``environment``, nearest first."""
        return tuple(reversed(self.order[: self.position(environment)]))


@dataclass(frozen=True)
class Comparison:
    """Candidate vs the version in the target environment on one metric."""

    incumbent: SemVer
    candidate_score: float
    incumbent_score: float
    note: str  # how they were compared: same holdout, or why recorded metrics instead


@dataclass(frozen=True)
class Decision:
    """Whether to move, why, and whether only an approval is missing."""

    moved: bool
    reason: str
    pending_approval: bool = False


def check_order(policy: PromotionPolicy, environment: str, aliases: Collection[str]) -> str | None:
    """Why a version holding ``aliases`` may not enter ``environment`` yet, or None if it may."""
    earlier = policy.earlier(environment)
    if not earlier or policy.allow_skip or earlier[0] in aliases:
        return None
    return (
        f"it is not in {earlier[0]}: the order {' -> '.join(policy.order)} allows no skipping; "
        f"promote it to {earlier[0]} first"
    )


def check_baseline(
    metric: str, metrics: Mapping[str, float], baseline: Mapping[str, float], min_improvement: float
) -> tuple[bool, str]:
    """Does the candidate beat its own baseline by ``min_improvement``? (passed, sentence).

    A baseline fallback version (a tenant whose models all lost to the baseline on validation
    is registered with the baseline itself) records its baseline's holdout metrics as its own:
    it *is* the baseline, so "beat the baseline" cannot apply and it passes, saying so. A model
    whose every metric equals the baseline's to the last bit is no different from it either.
    """
    if metric not in metrics or metric not in baseline:
        return False, f"no recorded {metric} for the candidate and its baseline to compare"
    if is_baseline_fallback(metrics, baseline):
        return True, (
            f"a baseline fallback version ({metric} {metrics[metric]:.3g}, the baseline's own "
            "score): the beat-the-baseline gate does not apply to the baseline itself"
        )
    gate = evaluate_gate(metric, metrics[metric], baseline[metric], min_improvement)
    return gate.passed, gate.reason


def is_baseline_fallback(metrics: Mapping[str, float], baseline: Mapping[str, float]) -> bool:
    """Whether a version's metrics are exactly its baseline's: it is the baseline fallback."""
    finite = all(math.isfinite(value) for value in metrics.values())
    return bool(metrics) and finite and dict(metrics) == dict(baseline)


def check_regression(
    metric: str, comparison: Comparison, max_regression: float
) -> tuple[bool, str]:
    """Is the candidate at most ``max_regression`` worse than the incumbent? (passed, sentence)."""
    candidate, incumbent = comparison.candidate_score, comparison.incumbent_score
    allows = f"allows ≤{max_regression:.1%} worse"
    prefix = f"{metric} {candidate:.3g} vs {comparison.incumbent}'s {incumbent:.3g}"
    if not (math.isfinite(candidate) and math.isfinite(incumbent)):
        return False, f"{prefix}: not both finite, cannot compare ({comparison.note}); {allows}"
    change = relative_improvement(metric, candidate, incumbent)
    word = "better" if change >= 0 else "worse"
    amount = "∞" if math.isinf(change) else f"{abs(change):.1%}"
    return change >= -max_regression, f"{prefix}: {amount} {word} ({comparison.note}), {allows}"


def decide(
    policy: PromotionPolicy,
    environment: str,
    *,
    version: SemVer,
    metrics: Mapping[str, float],
    baseline_metrics: Mapping[str, float],
    aliases: Collection[str],
    comparison: Comparison | None,
    approved_by: str | None,
    registered_by: str | None = None,
) -> Decision:
    """The verdict for moving ``version`` into ``environment`` under ``policy``."""
    head = f"{version} -> {environment}"
    refused = check_order(policy, environment, aliases)
    if refused is not None:
        return Decision(False, f"{head} refused: {refused}")
    rule = policy.rule(environment)
    checks: list[tuple[bool, str]] = []
    if rule.min_improvement is not None:
        checks.append(
            check_baseline(policy.metric, metrics, baseline_metrics, rule.min_improvement)
        )
    if rule.max_regression is not None:
        if comparison is None:
            checks.append((True, f"no version in {environment} yet to compare with"))
        else:
            checks.append(check_regression(policy.metric, comparison, rule.max_regression))
    failed = [sentence for passed, sentence in checks if not passed]
    if failed:
        return Decision(False, f"{head} refused: " + "; ".join(failed))
    evidence = "; ".join(sentence for _, sentence in checks) or "no gates for this step"
    if (
        rule.approval
        and rule.four_eyes
        and approved_by is not None
        and approved_by == registered_by
    ):
        return Decision(
            False,
            f"{head} waits for approval by someone other than {approved_by}, who registered "
            f"it (four eyes; gates passed: {evidence})",
            pending_approval=True,
        )
    if rule.approval and approved_by is None:
        return Decision(
            False,
            f"{head} waits for approval (gates passed: {evidence}); approve {version} for "
            f"{environment} and promote again",
            pending_approval=True,
        )
    approval = f"; approved by {approved_by}" if rule.approval else ""
    return Decision(True, f"{head}: {evidence}{approval}")
