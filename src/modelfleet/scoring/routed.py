"""Scoring through a tenant's routing: the arm that answers, a fallback, the shadow's job.

The challenger of an A/B test or canary answers only where it can: a tenant without a
challenger alias, or whose challenger refuses the request (other inputs after a MAJOR
version), is answered by the champion, and the fallback is counted. In shadow mode the
champion answers and the challenger's scoring is handed back as a job to run after the
response is sent, so it never adds to the caller's latency. The same routing serves records
(``predict``) and dates (``forecast``): the caller passes how to score with an alias.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from modelfleet.config.serving_blocks import RoutingSpec
from modelfleet.errors import InputError, NotFoundError
from modelfleet.scoring.routing import decide
from modelfleet.scoring.service import Prediction

# Score with the version an alias names (None: the environment's own), under an arm name,
# with or without explanations.
ScoreWith = Callable[[str | None, str, bool], Prediction]


@dataclass(frozen=True, eq=False)
class Routed:
    """The answer, whether the champion stood in for the challenger, and the shadow's job."""

    prediction: Prediction
    fell_back: bool
    shadow: Callable[[], Prediction | None] | None


def score_routed(
    routing: RoutingSpec, model: str, routing_key: str, score: ScoreWith, *, explain: bool
) -> Routed:
    """Answer on the arm ``routing`` assigns to ``routing_key`` for ``model``."""
    decision = decide(routing, routing_key, model)
    if decision.arm == "challenger":
        try:
            return Routed(score(routing.challenger, "challenger", explain), False, None)
        except (NotFoundError, InputError):
            return Routed(score(None, "champion", explain), True, None)
    answer = score(None, "champion", explain)
    if not decision.shadow:
        return Routed(answer, False, None)

    def shadow() -> Prediction | None:
        try:
            return score(routing.challenger, "shadow", False)
        except (NotFoundError, InputError):
            return None  # no challenger, or it cannot take this request: nothing to log

    return Routed(answer, False, shadow)
