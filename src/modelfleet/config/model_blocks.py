"""The model-facing blocks of a fleet spec: features, model (pooled, fallback) and validation.

Kept apart from :mod:`modelfleet.config.blocks` (sources, schema, checks...) so each file stays
one responsibility; ``blocks`` re-exports them, so imports from there keep working.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from modelfleet.config.base import (
    DEFAULTED_FEATURES,
    MIN_WINDOW_ROWS,
    CalendarFeature,
    Frequency,
    PooledMode,
    RollingStat,
    Strict,
)


class RollingSpec(Strict):
    """A rolling statistic of the target over ``window`` periods, ending ``horizon`` before."""

    window: Annotated[int, Field(ge=2, le=3660)]
    stats: tuple[RollingStat, ...] = ("mean",)


class FeaturesSpec(Strict):
    """Features built for every tenant; target-derived ones never look past the forecast origin.

    ``lags``, ``rolling`` and ``calendar`` left out of the spec get defaults chosen by the data's
    frequency when a fleet trains (:mod:`modelfleet.training.defaults`); the values below are
    what an unresolved block reads as, and :meth:`unset_defaults` says which were left out.
    """

    lags: tuple[Annotated[int, Field(ge=1, le=3660)], ...] = ()
    rolling: tuple[RollingSpec, ...] = ()
    calendar: tuple[CalendarFeature, ...] = ("dayofweek", "month", "dayofyear")
    covariates: tuple[str, ...] = Field(
        default=(), description="canonical columns known ahead of time, used as they are"
    )
    categorical: tuple[str, ...] = Field(
        default=(), description="covariates to encode as categories"
    )
    views: tuple[str, ...] = Field(
        default=(),
        description="feature view features ('view:feature' or 'view:*') joined as of the origin",
    )

    @model_validator(mode="after")
    def _categorical_subset(self) -> FeaturesSpec:
        unknown = sorted(set(self.categorical) - set(self.covariates))
        if unknown:
            raise ValueError(f"categorical {unknown} must also be listed in 'covariates'")
        return self

    def unset_defaults(self) -> tuple[str, ...]:
        """Which of lags, rolling and calendar the spec left out (they get frequency defaults)."""
        return tuple(name for name in DEFAULTED_FEATURES if name not in self.model_fields_set)


class ModelSpec(Strict):
    """The model family and its parameters, the pooled candidate and the baseline fallback.

    ``pooled`` trains one LightGBM model over every tenant of the fleet (per-tenant target
    scale, tenant attributes as features) as a second candidate beside the per-tenant model;
    ``auto`` (the default) does so for regression fleets of at least two tenants. ``fallback``
    says what a tenant whose candidates all lose to the baseline on the validation window gets:
    ``baseline`` registers the baseline as its model (every tenant gets a forecast), ``none``
    rejects the run and registers nothing.
    """

    family: str = "lightgbm"
    params: dict[str, Any] = Field(default_factory=dict)
    pooled: PooledMode = "auto"
    pooled_params: dict[str, Any] = Field(
        default_factory=dict,
        description="LightGBM params of the pooled model (default: the fleet's lightgbm params)",
    )
    fallback: Literal["baseline", "none"] = "baseline"

    @field_validator("pooled", mode="before")
    @classmethod
    def _pooled_text(cls, value: Any) -> Any:
        # YAML reads `pooled: true` as a boolean; the setting has three values, kept as text.
        if isinstance(value, bool):
            return "true" if value else "false"
        return value


class ValidationSpec(Strict):
    """Time-based windows at the end of each tenant's history.

    The **holdout** is the last ``horizon`` periods: no choice sees it, and every reported
    metric comes from it. Before it, the **validation** folds are where the gate, the
    per-tenant/pooled/baseline choice and tuning decide: ``folds`` windows of ``window`` periods
    (default the horizon), one after another back from the holdout, each scored after a fit on
    the rows before it (a rolling-origin backtest; one window alone is a noisy judge). A fold
    beyond the first is used only where the tenant has ``min_train_periods`` rows before it. With
    ``refit`` the chosen model is trained again on the rows before the holdout (fit and
    validation rows) before it is scored on the holdout and registered. A tenant whose holdout
    or validation window has fewer than ``min_holdout_rows`` rows (default: the horizon, at most
    4 for weekly and 7 for daily data) fails with that reason instead of reporting a score from
    one or two rows.
    """

    horizon: Annotated[int, Field(ge=1, le=3660)] = 28
    min_train_periods: Annotated[int, Field(ge=1)] = 56
    window: Annotated[int, Field(ge=1, le=3660)] | None = None
    folds: Annotated[int, Field(ge=1, le=12)] = 3
    refit: bool = True
    min_holdout_rows: Annotated[int, Field(ge=1)] | None = None

    @property
    def validation_window(self) -> int:
        """Periods in the validation window: ``window``, else the horizon."""
        return self.horizon if self.window is None else self.window

    def min_rows(self, frequency: Frequency) -> int:
        """The fewest rows a holdout or validation window may have for ``frequency``."""
        if self.min_holdout_rows is not None:
            return self.min_holdout_rows
        return min(self.horizon, MIN_WINDOW_ROWS[frequency])
