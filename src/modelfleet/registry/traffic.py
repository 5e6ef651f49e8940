"""Run-time traffic: change how a tenant's requests split, without a restart or a spec edit.

A setting replaces the fleet spec's ``serving.routing`` for one tenant in one environment
until it is cleared. Each change is a registry write as its caller (checked by the policy,
the model locked) and an event in the model's history (``traffic_set``, ``traffic_cleared``)
with who, when and why; the prediction server reads the setting within its alias refresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from modelfleet.caller import Caller
from modelfleet.config.serving_blocks import RoutingSpec
from modelfleet.registry.backend import Backend, missing
from modelfleet.registry.codec import to_event
from modelfleet.registry.records import ModelEvent
from modelfleet.registry.writes import write
from modelfleet.store import MetadataStore
from modelfleet.store.registry.traffic import TrafficRow


@dataclass(frozen=True)
class TrafficSetting:
    """A tenant's routing in one environment, set at run time, and who set it when and why."""

    model: str
    environment: str
    routing: RoutingSpec
    updated_at: datetime
    actor: str
    reason: str


def describe(routing: RoutingSpec) -> str:
    """``canary: 5% to challenger`` and the like, for history and listings."""
    if routing.mode == "champion":
        return "champion only"
    if routing.mode == "shadow":
        return f"shadow: {routing.challenger} scores every request, the champion answers"
    return f"{routing.mode}: {routing.challenger_share:.1%} to {routing.challenger}"


def set_traffic(
    backend: Backend,
    model: str,
    environment: str,
    routing: RoutingSpec,
    *,
    caller: Caller,
    reason: str,
) -> ModelEvent:
    """Set ``model``'s routing in ``environment``; the event that records it."""
    with write(backend, caller, "set_traffic", [model], f"set traffic of {model}") as w:
        if not w.tx.model_exists(model):
            raise missing(w.tx, model, "model")
        w.tx.set_traffic(
            TrafficRow(
                model=model,
                environment=environment,
                mode=routing.mode,
                challenger=routing.challenger,
                share=routing.share,
                updated_at=w.at,
                actor=w.actor,
                reason=reason,
            )
        )
        text = describe(routing) + (f"; {reason}" if reason else "")
        return to_event(w.event(model, "traffic_set", text, alias=environment))


def clear_traffic(
    backend: Backend, model: str, environment: str, *, caller: Caller, reason: str
) -> ModelEvent:
    """Drop ``model``'s run-time routing in ``environment`` (the spec's applies again)."""
    with write(backend, caller, "set_traffic", [model], f"clear traffic of {model}") as w:
        if not w.tx.remove_traffic(model, environment):
            raise missing(w.tx, model, f"traffic setting for {environment!r}")
        text = "back to the spec's routing" + (f"; {reason}" if reason else "")
        return to_event(w.event(model, "traffic_cleared", text, alias=environment))


def traffic(store: MetadataStore, model: str, environment: str) -> TrafficSetting | None:
    """``model``'s run-time routing in ``environment``, or None (the spec's applies)."""
    row = store.traffic_of(model, environment)
    if row is None:
        return None
    routing = RoutingSpec.model_validate(
        {"mode": row.mode, "challenger": row.challenger, "share": row.share}
    )
    return TrafficSetting(
        row.model, row.environment, routing, row.updated_at, row.actor, row.reason
    )
