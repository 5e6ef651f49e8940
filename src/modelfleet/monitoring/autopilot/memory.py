"""What the autopilot did before, read from its action records: its memory between passes.

The autopilot keeps no state of its own beyond these rows, so any pass (on any machine) picks
up where the last one stopped: which candidate it trained, which rollout is running, what was
stopped or rolled back (never tried again), when a tenant was last retrained (cooldown), and
what a person approved or rejected.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from modelfleet.registry.semver import SemVer
from modelfleet.store.autopilot import ActionRow

# The steps whose failure or refusal ends a candidate: it is never proposed again.
_ENDING_FAILURES = frozenset({"promote", "rollout", "conclude"})


def target_of(row: ActionRow) -> str | None:
    """The environment an action moved a version into (promote, rollout, conclude)."""
    value = json.loads(row.figures).get("to")
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Memory:
    """One tenant's autopilot actions in one environment, oldest first."""

    actions: Sequence[ActionRow]

    def ended(self, version: str) -> ActionRow | None:
        """The action that ended ``version`` as a candidate (stopped, rolled back, refused)."""
        for row in reversed(self.actions):
            if row.version != version:
                continue
            if row.kind in ("stop", "rollback") and row.status == "done":
                return row
            if row.kind in _ENDING_FAILURES and row.status in ("failed", "rejected"):
                return row
        return None

    def candidate(self, live: str | None) -> str | None:
        """The newest version the autopilot trained that is newer than ``live`` and not ended."""
        for row in reversed(self.actions):
            if row.kind != "retrain" or row.status != "done" or row.version is None:
                continue
            trained = json.loads(row.figures).get("candidate")
            if not isinstance(trained, str):
                continue
            newer = live is None or SemVer.parse(trained) > SemVer.parse(live)
            return trained if newer and self.ended(trained) is None else None
        return None

    def rollout(self) -> ActionRow | None:
        """The rollout action still running: done, and not concluded or stopped since."""
        for row in reversed(self.actions):
            if row.kind in ("conclude", "stop") and row.status == "done":
                return None
            if row.kind == "rollout" and row.status == "done":
                return row
        return None

    def concluding(self, rollout: ActionRow) -> ActionRow | None:
        """The newest conclusion tried for ``rollout``'s version since it started, if any."""
        for row in reversed(self.actions):
            if row.id <= rollout.id:
                return None
            if row.kind == "conclude" and row.version == rollout.version:
                return row
        return None

    def last_retrain(self) -> datetime | None:
        """When the autopilot last retrained (or tried to retrain) this tenant."""
        for row in reversed(self.actions):
            if row.kind == "retrain" and row.status in ("done", "skipped", "failed"):
                return row.at
        return None

    def rolled_back(self, version: str) -> bool:
        """Whether the autopilot already rolled ``version`` back."""
        return any(
            r.kind == "rollback" and r.status == "done" and r.version == version
            for r in self.actions
        )

    def decision(self, kind: str, version: str | None, target: str | None) -> ActionRow | None:
        """The newest approval record (pending, approved, rejected) of this exact step."""
        for row in reversed(self.actions):
            if (row.kind, row.version, target_of(row)) != (kind, version, target):
                continue
            if row.status in ("pending", "approved", "rejected"):
                return row
            if row.status in ("done", "failed", "skipped", "expired"):
                return None  # an earlier approval was used up: this is a new request
        return None
