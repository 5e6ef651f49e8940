"""Tell people what the autopilot did: its consequential steps go to the spec's alert sinks.

A rollout started, concluded or stopped, a rollback, any failed step and any step waiting for
approval is sent as an event (``event: "autopilot"``, ``kind``: the step, ``alert_id``: the
action's id, ``message``: its status and reason, ``figures``: its figures and status) to the
same sinks as the monitoring alerts (log, JSON-lines file, webhook). Retrains and promotions
into earlier environments are recorded but not sent: they are routine.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from modelfleet.config.monitoring_blocks import AlertSinkSpec
from modelfleet.monitoring.sinks import AlertEvent, dispatch, open_sinks
from modelfleet.store.autopilot import ActionRow

TOLD_KINDS = frozenset({"rollout", "conclude", "stop", "rollback"})
TOLD_STATUSES = frozenset({"failed", "pending"})


def worth_telling(action: ActionRow) -> bool:
    """Whether a person should hear of this action (module doc)."""
    return action.status in TOLD_STATUSES or (action.kind in TOLD_KINDS and action.status == "done")


def event_of(action: ActionRow) -> AlertEvent:
    """The sink event of one action."""
    return AlertEvent(
        event="autopilot",
        alert_id=action.id,
        fleet=action.fleet,
        environment=action.environment,
        tenant=action.tenant,
        kind=action.kind,
        version=action.version,
        message=f"{action.status}: {action.reason}",
        figures={**json.loads(action.figures), "status": action.status},
        at=action.at.isoformat(),
    )


def tell(actions: Sequence[ActionRow], sinks: Sequence[AlertSinkSpec], base_dir: Path) -> list[str]:
    """Send the actions worth telling to the sinks; what each failing sink said."""
    events = [event_of(a) for a in actions if worth_telling(a)]
    return dispatch(open_sinks(sinks, base_dir), events) if events else []
