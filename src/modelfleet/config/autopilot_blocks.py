"""The ``monitoring.autopilot:`` block: what ``modelfleet autopilot`` may do on its own, and when.

Three parts, each a policy the autopilot acts within (:mod:`modelfleet.monitoring.autopilot`):

* ``retrain``: which tenants are retrained (an open drift or performance alert on the live
  version, or a live version older than ``schedule``), never one more often than ``cooldown``;
* ``rollout``: how a retrained candidate reaches the target environment after passing the
  earlier environments' gates: ``direct`` (promote through the target's gates at once), or
  ``canary`` / ``ab`` / ``shadow`` (the candidate serves as the challenger first, and a paired
  test of absolute errors on logged outcomes decides: promoted when better, stopped when worse
  or when no verdict came within ``max_duration``);
* ``rollback``: a version that entered the target environment within ``within`` and is worse
  live (than its holdout, or than the version before it) is rolled back.

``approval`` lists the steps a person must approve first (``modelfleet autopilot approve``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, field_validator

from modelfleet.config.base import Strict
from modelfleet.config.feature_blocks import parse_duration

AutopilotStep = Literal["retrain", "promote", "rollout", "conclude", "rollback"]
AUTOPILOT_STEPS: tuple[AutopilotStep, ...] = (
    "retrain",
    "promote",
    "rollout",
    "conclude",
    "rollback",
)


def _positive(value: str | None) -> str | None:
    if value is not None and parse_duration(value) <= timedelta(0):
        raise ValueError("must be longer than zero, e.g. '1d'")
    return value


class RetrainPolicySpec(Strict):
    """When a tenant is retrained."""

    on_drift: bool = Field(default=True, description="retrain tenants with an open drift alert")
    on_degradation: bool = Field(
        default=True, description="retrain tenants with an open performance alert"
    )
    schedule: str | None = Field(
        default=None, description="retrain a tenant whose live version is older than this, e.g. 30d"
    )
    cooldown: str = Field(
        default="7d",
        description="never retrain one tenant more often (lag inputs of a growing series drift "
        "by nature: a short cooldown would retrain such tenants at every new batch of data)",
    )

    @field_validator("schedule", "cooldown")
    @classmethod
    def _durations(cls, value: str | None) -> str | None:
        return _positive(value)


class RolloutPolicySpec(Strict):
    """How a candidate that passed the earlier environments enters the target one."""

    mode: Literal["direct", "canary", "ab", "shadow"] = "canary"
    share: Annotated[float, Field(gt=0.0, lt=1.0)] = Field(
        default=0.1, description="canary / ab: the challenger's share of requests"
    )
    min_pairs: Annotated[int, Field(ge=5)] = Field(
        default=30, description="fewest dates with an actual and both versions' forecasts"
    )
    alpha: Annotated[float, Field(gt=0.0, lt=0.5)] = Field(
        default=0.05, description="significance of the paired test, at each pass that runs it"
    )
    max_duration: str = Field(
        default="14d", description="stop a rollout that reached no verdict in this time"
    )

    @field_validator("max_duration")
    @classmethod
    def _durations(cls, value: str | None) -> str | None:
        return _positive(value)


class RollbackPolicySpec(Strict):
    """When a version that entered the target environment is rolled back."""

    enabled: bool = True
    within: str = Field(
        default="14d", description="only versions that entered the environment this recently"
    )

    @field_validator("within")
    @classmethod
    def _durations(cls, value: str | None) -> str | None:
        return _positive(value)


class AutopilotSpec(Strict):
    """What the autopilot may do for this fleet (``modelfleet autopilot``)."""

    retrain: RetrainPolicySpec = RetrainPolicySpec()
    rollout: RolloutPolicySpec = RolloutPolicySpec()
    rollback: RollbackPolicySpec = RollbackPolicySpec()
    approval: tuple[AutopilotStep, ...] = Field(
        default=(), description="steps that wait for a person's approval first"
    )
    lease: str = Field(default="6h", description="how long one pass may hold the fleet's lock")

    @field_validator("lease")
    @classmethod
    def _durations(cls, value: str | None) -> str | None:
        return _positive(value)
