"""Scoring through a tenant's routing: the arm that answers, a fallback, the shadow's job.

The challenger of an A/B test or canary answers only where it can: a tenant without a
challenger alias, or whose challenger refuses the records (other inputs after a MAJOR
version), is answered by the champion, and the fallback is counted. In shadow mode the
champion answers and the challenger's scoring is handed back as a job to run after the
response is sent, so it never adds to the caller's latency.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from modelfleet.config.serving_blocks import RoutingSpec
from modelfleet.errors import InputError, NotFoundError
from modelfleet.registry.refs import model_name
from modelfleet.scoring.routing import decide
from modelfleet.scoring.service import Prediction, Scorer


@dataclass(frozen=True, eq=False)
class Routed:
    """The answer, whether the champion stood in for the challenger, and the shadow's job."""

    prediction: Prediction
    fell_back: bool
    shadow: Callable[[], Prediction | None] | None


def score_routed(
    scorer: Scorer,
    routing: RoutingSpec,
    fleet: str,
    tenant: str,
    environment: str,
    records: Sequence[Any],
    request_id: str,
    routing_key: str | None,
    *,
    explain: bool = False,
) -> Routed:
    """Score ``records`` on the arm ``routing`` assigns to ``routing_key`` (else the request)."""
    decision = decide(routing, routing_key or request_id, model_name(fleet, tenant))

    def champion() -> Prediction:
        return scorer.predict(
            fleet, tenant, environment, records, request_id, explain=explain, arm="champion"
        )

    def challenger(arm: str) -> Prediction:
        return scorer.predict(
            fleet,
            tenant,
            environment,
            records,
            request_id,
            explain=explain and arm != "shadow",
            alias=routing.challenger,
            arm=arm,
        )

    if decision.arm == "challenger":
        try:
            return Routed(challenger("challenger"), fell_back=False, shadow=None)
        except (NotFoundError, InputError):
            return Routed(champion(), fell_back=True, shadow=None)
    answer = champion()
    if not decision.shadow:
        return Routed(answer, fell_back=False, shadow=None)

    def shadow() -> Prediction | None:
        try:
            return challenger("shadow")
        except (NotFoundError, InputError):
            return None  # no challenger, or it cannot take these records: nothing to log

    return Routed(answer, fell_back=False, shadow=shadow)
