"""The JSON shape of an autopilot action (``/api/v1/autopilot/actions``)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from modelfleet.store.autopilot import ActionRow
from modelfleet.wire.base import Out


class AutopilotActionOut(Out):
    """One step the autopilot took or waits to take, with its reason and figures."""

    id: int
    pass_id: str
    fleet: str
    environment: str
    tenant: str
    kind: str
    version: str | None
    status: str
    reason: str
    figures: dict[str, Any]
    at: datetime
    actor: str
    decided_by: str | None
    decided_at: datetime | None

    @classmethod
    def of_row(cls, row: ActionRow) -> AutopilotActionOut:
        """The shape of a stored action (its figures decoded)."""
        fields = dict(row.__dict__)
        fields["figures"] = json.loads(row.figures)
        return cls(**fields)

    def row(self) -> ActionRow:
        """The stored action this shape carries."""
        fields = self.model_dump()
        fields["figures"] = json.dumps(self.figures, sort_keys=True)
        return ActionRow(**fields)
