"""Foundations every spec block shares: the strict base model and the small literal types."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Task = Literal["regression", "binary_classification"]
ColumnType = Literal["int", "float", "str", "bool", "date", "timestamp"]
Frequency = Literal["D", "W"]
# Days in one period of each frequency: lags and windows are counted in periods.
PERIOD_DAYS: dict[str, int] = {"D": 1, "W": 7}
# Default fewest rows in a holdout or validation window: a month of weeks, a week of days.
MIN_WINDOW_ROWS: dict[str, int] = {"D": 7, "W": 4}
CalendarFeature = Literal[
    "dayofweek", "day", "month", "weekofyear", "dayofyear", "year", "quarter", "is_weekend"
]
RollingStat = Literal["mean", "std", "min", "max", "sum"]
# Feature settings that, when a spec leaves them out, are chosen by the data's frequency.
DEFAULTED_FEATURES: tuple[str, ...] = ("lags", "rolling", "calendar")
# model.pooled: train one pooled model over all tenants as a candidate ("auto": when it can help).
PooledMode = Literal["auto", "true", "false"]


class Strict(BaseModel):
    """Base for every spec block: unknown keys are errors, values are not coerced silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
