"""Quality gate: a candidate ships only if it beats the baseline by a relative margin."""

from __future__ import annotations

import math
from dataclasses import dataclass

from modelfleet.errors import TrainingError
from modelfleet.training.metrics import METRIC_DIRECTION


@dataclass(frozen=True)
class GateResult:
    """The verdict, a sentence explaining it, and the relative improvement (0.05 = 5% better)."""

    passed: bool
    reason: str
    improvement: float


def relative_improvement(metric: str, candidate: float, baseline: float) -> float:
    """How much better ``candidate`` is than ``baseline`` as a fraction of the baseline.

    Positive means better in the metric's direction. A zero baseline has no scale: equal
    scores give 0, anything else +/-inf according to whether the candidate is better.
    """
    direction = _direction(metric)
    gain = baseline - candidate if direction == "min" else candidate - baseline
    if baseline == 0:
        return 0.0 if gain == 0 else math.copysign(math.inf, gain)
    return gain / abs(baseline)


def evaluate_gate(
    metric: str, candidate: float, baseline: float, min_improvement: float
) -> GateResult:
    """Pass iff ``candidate`` beats ``baseline`` by at least ``min_improvement`` (relative)."""
    _direction(metric)
    if not math.isfinite(min_improvement):
        raise TrainingError(
            f"quality gate min_improvement must be a finite fraction (0.05 = 5%), "
            f"got {min_improvement}"
        )
    needs = f"needs ≥{min_improvement:.1%}"
    if not math.isfinite(candidate):
        return GateResult(
            passed=False,
            reason=f"{metric} of the candidate is {candidate}, not a finite score: rejected",
            improvement=math.nan,
        )
    if math.isnan(baseline):
        # No evidence either way; refusing is the conservative choice for a promotion gate.
        return GateResult(
            passed=False,
            reason=(
                f"{metric} {candidate:.3g} vs baseline nan: the baseline cannot be scored on "
                f"this validation window, so the candidate cannot be compared; {needs}"
            ),
            improvement=math.nan,
        )
    improvement = relative_improvement(metric, candidate, baseline)
    passed = improvement >= min_improvement
    word = "better" if improvement >= 0 else "worse"
    amount = "∞" if math.isinf(improvement) else f"{abs(improvement):.1%}"
    return GateResult(
        passed=passed,
        reason=f"{metric} {candidate:.3g} vs baseline {baseline:.3g}: {amount} {word}, {needs}",
        improvement=improvement,
    )


def _direction(metric: str) -> str:
    """Return 'min' or 'max' for ``metric``, failing with the list of known metrics."""
    direction = METRIC_DIRECTION.get(metric)
    if direction is None:
        raise TrainingError(
            f"quality gate: unknown metric {metric!r}; use one of {sorted(METRIC_DIRECTION)}"
        )
    return direction
