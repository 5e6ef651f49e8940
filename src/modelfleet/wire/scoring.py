"""The JSON shapes of the prediction server: records in, one prediction per record out."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from modelfleet.wire.base import In, Number, Out


class PredictIn(In):
    """Records to score: each holds the model's input fields and the timestamp it is for."""

    # Records are checked against the served version's signature (modelfleet.scoring.inputs),
    # which names each bad field; here they only have to be a list.
    model_config = ConfigDict(extra="forbid", strict=False, str_max_length=10_000)

    records: list[Any] = Field(
        description="one object per prediction: the model's input fields and its timestamp",
        examples=[[{"date": "2024-03-01", "lag_28": 5120.0, "promo": 1}]],
    )


class ForecastIn(In):
    """Dates to forecast with the covariates known ahead, or a horizon after the latest target."""

    model_config = ConfigDict(extra="forbid", strict=False, str_max_length=10_000)

    records: list[Any] | None = Field(
        default=None,
        description="one object per date: the timestamp and the covariates known ahead",
        examples=[[{"date": "2024-03-01", "promo": 1, "open": 1, "holiday": 0}]],
    )
    horizon: int | None = Field(
        default=None, ge=1, le=3660, description="periods after the latest known target"
    )


class ContributionsOut(Out):
    """Why a prediction is what it is: a base plus one contribution per model input."""

    base: Number
    contributions: dict[str, Number]


class PredictionRowOut(Out):
    """One prediction: the timestamp it is for and the value (and, asked for, its reasons)."""

    timestamp: str
    value: Number
    explanation: ContributionsOut | None = None


class PredictOut(Out):
    """A scored request: the predictions in record order and which model gave them."""

    request_id: str
    model: str = Field(description="fleet/tenant")
    version: str
    environment: str
    arm: str = Field(description="routing arm that answered: champion, challenger, ...")
    predictions: list[PredictionRowOut]
    explanation_method: str | None = Field(
        default=None, description="with explain=true: tree_shap or break_down"
    )
    explanation_scale: str | None = Field(
        default=None,
        description="what base + contributions add up to: prediction, or log_odds (binary)",
    )


class CacheOut(Out):
    """What the server's model cache holds."""

    models: int
    size_bytes: int
    max_models: int
    max_bytes: int
    hits: int
    loads: int
    evictions: int


class ReadyOut(Out):
    """Whether the server can answer: its stores answer; the cache's state."""

    status: str
    environment: str
    store: str
    cache: CacheOut
