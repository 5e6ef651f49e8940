"""The autopilot's action records on a local plane: list them, approve or reject a pending one.

The local plane's ``autopilot_actions`` and ``decide_action`` (and so the control plane's
``/api/v1/autopilot/actions`` routes) are these functions, run as the plane's caller.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from modelfleet.errors import UsageError
from modelfleet.store.autopilot import ActionRow

if TYPE_CHECKING:
    from modelfleet.client.local import LocalPlane

ACTION_STATUSES = ("done", "failed", "pending", "approved", "rejected", "skipped", "expired")
Decision = Literal["approved", "rejected"]


def list_actions(
    local: LocalPlane,
    fleet: str | None,
    environment: str | None,
    status: str | None,
    limit: int | None,
) -> list[ActionRow]:
    """Autopilot actions, newest first, filtered (None: any)."""
    if status is not None and status not in ACTION_STATUSES:
        raise UsageError(f"status {status!r}: use one of {', '.join(ACTION_STATUSES)}")
    return local.metadata_store().autopilot_actions(fleet, environment, status, limit)


def decide_action(local: LocalPlane, action_id: int, decision: Decision, reason: str) -> ActionRow:
    """Approve or reject a pending step as the plane's caller; the updated record.

    Deciding needs the ``approve`` permission on the tenant's model. Approving a promotion
    whose gate waits for a person records the registry's approval too, so the next pass's
    promotion goes through.
    """
    if decision not in ("approved", "rejected"):
        raise UsageError(f"decision {decision!r}: use approved or rejected")
    store = local.metadata_store()
    row = store.autopilot_action(action_id)
    model = f"{row.fleet}/{row.tenant}"
    if row.status != "pending":
        raise UsageError(
            f"autopilot action {action_id} ({row.kind} of {model}) is {row.status}, not "
            "pending: only pending steps are approved or rejected"
        )
    figures = json.loads(row.figures)
    target = figures.get("to")
    if decision == "approved" and figures.get("registry_approval") and row.version and target:
        local.approve(model, row.version, str(target), reason)
    else:
        local.authorize("approve", [model])
    who = local.caller.principal
    note = f"{row.reason}; {decision} by {who}" + (f": {reason}" if reason else "")
    store.decide_autopilot_action(
        action_id,
        from_status="pending",
        to_status=decision,
        actor=who,
        at=datetime.now(UTC),
        reason=note,
    )
    return store.autopilot_action(action_id)
