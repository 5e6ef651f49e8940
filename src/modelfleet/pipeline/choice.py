"""The per-tenant choice: per-tenant model, pooled model or baseline, decided on validation.

Every candidate is scored on the tenant's validation window (never on the holdout). The better
of the two models (per-tenant, pooled) must beat the baseline by the gate's ``min_improvement``;
if it does it is chosen, otherwise the baseline is (or, with ``model.fallback: none``, the run is
rejected). The choice is a plain value with a sentence saying why, recorded on the run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from modelfleet.training.gates import GateResult, evaluate_gate
from modelfleet.training.metrics import METRIC_DIRECTION

Candidate = Literal["per_tenant", "pooled", "baseline"]
MODELS: tuple[Candidate, ...] = ("per_tenant", "pooled")  # in tie order: per-tenant first


@dataclass(frozen=True)
class Choice:
    """The chosen candidate, the best model and its gate against the baseline, and why."""

    chosen: Candidate
    best: Candidate  # the better model candidate, whatever the gate said
    gate: GateResult  # best model vs baseline on the validation window
    reason: str

    @property
    def fell_back(self) -> bool:
        """Whether the baseline was chosen because every model lost to it."""
        return self.chosen == "baseline"


def _sort_key(metric: str, score: float) -> float:
    """Smaller is better; a score that is not a number sorts last."""
    if not math.isfinite(score):
        return math.inf
    return score if METRIC_DIRECTION[metric] == "min" else -score


def choose(
    metric: str, min_improvement: float, scores: Mapping[str, Mapping[str, float]]
) -> Choice:
    """Pick per tenant from validation ``scores`` (candidate -> metrics; baseline required)."""
    models = [name for name in MODELS if name in scores]
    if not models or "baseline" not in scores:
        raise ValueError(f"choose needs the baseline and a model candidate, got {sorted(scores)}")
    best = min(models, key=lambda name: _sort_key(metric, scores[name][metric]))
    gate = evaluate_gate(metric, scores[best][metric], scores["baseline"][metric], min_improvement)
    others = [f"{name} {scores[name][metric]:.4g}" for name in models if name != best]
    verdict = f"{best} {gate.reason}" + (f" ({', '.join(others)})" if others else "")
    if gate.passed:
        return Choice(best, best, gate, f"chose {best} on validation: {verdict}")
    return Choice(
        "baseline",
        best,
        gate,
        f"every model lost to the baseline on validation: {verdict}",
    )
