"""The ``monitoring:`` block: when a tenant's live inputs count as drifted.

Declared once per fleet, overridden per environment (``environments: {prod: {monitoring:
{drift: {alpha: 0.01}}}}``). The verdict rule these settings tune is stated in
:mod:`modelfleet.monitoring.drift`: a column drifts when its test is significant after the
fleet-wide false-discovery control (``alpha``) *and* its effect reaches the floor (``min_ks``
for numbers, ``min_js`` for categories, ``min_null_change`` for null rates); a tenant drifts
when more than ``drift_share`` of its tested columns do. ``performance`` says when a live
version is worse than its holdout once actuals arrive (:mod:`modelfleet.monitoring.performance`).

Calendar features (``cal_dayofweek``, ``cal_month``...) are parts of the date: any window
shorter than the training span differs from it there, by construction, so they are not tested
unless ``calendar: true``; ``exclude`` names other columns to leave out (ids, counters).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal, get_args

from pydantic import Field, field_validator, model_validator

from modelfleet.config.autopilot_blocks import AutopilotSpec
from modelfleet.config.base import CalendarFeature, Strict
from modelfleet.config.feature_blocks import parse_duration

Share = Annotated[float, Field(ge=0.0, le=1.0)]


class DriftSpec(Strict):
    """Thresholds of the drift verdict, and the default window."""

    alpha: Annotated[float, Field(gt=0.0, lt=1.0)] = Field(
        default=0.05, description="false discovery rate among flagged tenants and columns"
    )
    min_ks: Share = Field(default=0.1, description="smallest KS statistic that counts as drift")
    min_js: Share = Field(
        default=0.1, description="smallest Jensen-Shannon distance (base 2) that counts"
    )
    min_null_change: Share = Field(default=0.05, description="smallest null-rate change")
    min_rows: Annotated[int, Field(ge=1)] = Field(
        default=30, description="fewest current values for a column to be tested"
    )
    drift_share: Share = Field(
        default=0.2, description="a tenant drifts when more of its columns than this drift"
    )
    psi_bins: Annotated[int, Field(ge=2, le=100)] = Field(
        default=10, description="bins of equal reference mass for the reported PSI"
    )
    window: str = Field(default="7d", description="default span of logged predictions, e.g. 7d")
    calendar: bool = Field(
        default=False,
        description="test the calendar features (cal_*) too: they are parts of the date, so a "
        "window shorter than a year always differs from training on them",
    )
    exclude: tuple[str, ...] = Field(default=(), description="input columns never tested")

    @field_validator("window")
    @classmethod
    def _duration(cls, value: str) -> str:
        if parse_duration(value) <= timedelta(0):
            raise ValueError("the drift window must be longer than zero, e.g. '7d'")
        return value

    @property
    def excluded(self) -> frozenset[str]:
        """The columns not tested: ``exclude``, and the calendar features unless asked for."""
        calendar = () if self.calendar else (f"cal_{name}" for name in get_args(CalendarFeature))
        return frozenset((*self.exclude, *calendar))

    @property
    def window_span(self) -> timedelta:
        """The default window as a duration."""
        return parse_duration(self.window)


class PerformanceSpec(Strict):
    """When a live version counts as worse than its holdout, once ground truth arrives."""

    max_drop: Share = Field(
        default=0.05, description="degraded when live WMAPE is worse than holdout by more"
    )
    min_rows: Annotated[int, Field(ge=1)] = Field(
        default=7, description="fewest predictions with actuals for a verdict"
    )
    window: str = Field(default="28d", description="default span of predicted dates, e.g. 28d")
    max_delay: str = Field(
        default="30d", description="an actual arriving later than this after its date is late"
    )

    @field_validator("window", "max_delay")
    @classmethod
    def _durations(cls, value: str) -> str:
        if parse_duration(value) <= timedelta(0):
            raise ValueError("must be longer than zero, e.g. '28d'")
        return value


class AlertSinkSpec(Strict):
    """Where alerts go: the log, a file of JSON lines, or a webhook (HTTP POST of JSON)."""

    kind: Literal["log", "file", "webhook"]
    path: str | None = Field(default=None, description="file: the JSON-lines file (appended)")
    url: str | None = Field(default=None, description="webhook: where to POST each alert")
    timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 5.0
    retries: Annotated[int, Field(ge=0, le=10)] = 3

    @model_validator(mode="after")
    def _where(self) -> AlertSinkSpec:
        if self.kind == "file" and not self.path:
            raise ValueError("a file sink needs 'path' (e.g. alerts.jsonl)")
        web = (self.url or "").startswith(("http://", "https://"))
        if self.kind == "webhook" and not web:
            raise ValueError("a webhook sink needs an http:// or https:// 'url'")
        return self


class AlertsSpec(Strict):
    """Where alert openings and resolutions are sent (they are always in the store)."""

    sinks: tuple[AlertSinkSpec, ...] = (AlertSinkSpec(kind="log"),)


class MonitoringSpec(Strict):
    """How this fleet's live models are watched."""

    drift: DriftSpec = DriftSpec()
    performance: PerformanceSpec = PerformanceSpec()
    alerts: AlertsSpec = AlertsSpec()
    autopilot: AutopilotSpec = AutopilotSpec()
