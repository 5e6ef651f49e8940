"""Feature defaults by frequency for a features block that leaves lags, rolling or calendar out."""

from __future__ import annotations

import pytest

from modelfleet.config.spec import FeaturesSpec
from modelfleet.training.defaults import default_features, default_lags


def test_weekly_defaults_use_lags_from_the_horizon_on_and_the_same_week_last_year() -> None:
    features = default_features(FeaturesSpec(), "W", 8)

    assert features.lags == (8, 9, 10, 11, 52)
    assert [(r.window, r.stats) for r in features.rolling] == [
        (4, ("mean",)),
        (13, ("mean", "std")),
    ]
    assert features.calendar == ("weekofyear", "month")


def test_daily_defaults_keep_the_day_of_week() -> None:
    features = default_features(FeaturesSpec(), "D", 42)

    assert features.lags == (42, 49, 56, 364)
    assert "dayofweek" in features.calendar


@pytest.mark.parametrize(("frequency", "horizon"), [("W", 60), ("D", 400), ("W", 1)])
def test_no_default_lag_is_shorter_than_the_horizon(frequency: str, horizon: int) -> None:
    assert min(default_lags(frequency, horizon)) >= horizon  # type: ignore[arg-type]


def test_settings_the_spec_gives_are_kept_as_they_are() -> None:
    given = FeaturesSpec(lags=(9,), calendar=())

    features = default_features(given, "W", 8)

    assert (features.lags, features.calendar) == ((9,), ())
    assert [r.window for r in features.rolling] == [4, 13]  # only rolling was left out


def test_a_resolved_block_counts_every_setting_as_given() -> None:
    resolved = default_features(FeaturesSpec(), "W", 8)

    assert resolved.unset_defaults() == ()
    assert default_features(resolved, "D", 8) is resolved
