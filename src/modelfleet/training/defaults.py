"""Feature defaults by frequency, for a ``features:`` block that leaves lags, rolling or calendar
out.

The defaults were chosen by measurement (docs/fleet-spec.md, "Feature defaults"): on short
weekly fleets (about 140 weeks, 8-week horizon) the lags closest to the forecast origin plus the
same week last year, a short and a quarter-long rolling mean ending at the origin, and the week
of the year beat the daily-style calendar (dayofweek is constant on weekly data). Every target
lag is at least the horizon, so no default can leak the future.
"""

from __future__ import annotations

from modelfleet.config.base import CalendarFeature, Frequency
from modelfleet.config.spec import FeaturesSpec, FleetSpec

# Periods in a year, so "the same period last year" is a lag of one season.
SEASON: dict[str, int] = {"D": 364, "W": 52}
# Lags after the horizon: the origin's own value and the next few before it.
RECENT_LAGS: dict[str, tuple[int, ...]] = {"D": (0, 7, 14), "W": (0, 1, 2, 3)}
ROLLING: dict[str, tuple[tuple[int, tuple[str, ...]], ...]] = {
    "D": ((7, ("mean",)), (28, ("mean", "std"))),
    "W": ((4, ("mean",)), (13, ("mean", "std"))),
}
CALENDAR: dict[str, tuple[CalendarFeature, ...]] = {
    "D": ("dayofweek", "day", "month", "weekofyear", "dayofyear"),
    "W": ("weekofyear", "month"),
}


def default_lags(frequency: Frequency, horizon: int) -> tuple[int, ...]:
    """Target lags for ``frequency``: the horizon and a few periods before it, and one season."""
    lags = {horizon + extra for extra in RECENT_LAGS[frequency]}
    if SEASON[frequency] >= horizon:
        lags.add(SEASON[frequency])
    return tuple(sorted(lags))


def default_features(features: FeaturesSpec, frequency: Frequency, horizon: int) -> FeaturesSpec:
    """``features`` with each of lags, rolling, calendar it left out set for ``frequency``."""
    unset = features.unset_defaults()
    if not unset:
        return features
    chosen: dict[str, object] = {}
    if "lags" in unset:
        chosen["lags"] = list(default_lags(frequency, horizon))
    if "rolling" in unset:
        chosen["rolling"] = [{"window": w, "stats": list(stats)} for w, stats in ROLLING[frequency]]
    if "calendar" in unset:
        chosen["calendar"] = list(CALENDAR[frequency])
    # Validated again (not model_copy), so the resolved block counts every field as set.
    return FeaturesSpec.model_validate({**features.model_dump(), **chosen})


def with_feature_defaults(spec: FleetSpec, frequency: Frequency) -> FleetSpec:
    """``spec`` with frequency defaults in its features block, and in every tenant override's.

    Done once when the data's frequency is known (it may be inferred from the data), before the
    plan: the resolved spec is what tenants train with and what their config hash covers.
    """
    features = default_features(spec.features, frequency, spec.validation.horizon)
    if features is spec.features:
        return spec
    return spec.model_copy(update={"features": features})
