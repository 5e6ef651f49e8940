"""Naive baselines: seasonal naive, mean and prior."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from modelfleet.errors import TrainingError
from modelfleet.training.families import resolve_family
from modelfleet.training.frames import FeatureFrame

DAY = np.timedelta64(1, "D")


def _frame(stamps: np.ndarray, period: np.timedelta64 = DAY) -> FeatureFrame:
    return FeatureFrame(pa.table({"x": np.zeros(len(stamps))}), stamps, period=period)


def _days(start: str, n: int) -> np.ndarray:
    return np.datetime64(start, "D") + np.arange(n) * DAY


def _weekly(stamps: np.ndarray) -> np.ndarray:
    """A pure weekly pattern: the value is a function of the weekday only."""
    weekday = (stamps.astype("datetime64[D]").astype(np.int64) + 3) % 7
    return np.array([5.0, 7.0, 6.0, 8.0, 9.0, 20.0, 15.0])[weekday]


def test_seasonal_naive_reproduces_a_pure_weekly_pattern_exactly() -> None:
    train = _days("2024-01-01", 28)
    future = _days("2024-01-29", 30)  # more than four seasons ahead
    model = resolve_family("seasonal_naive").fit(_frame(train), _weekly(train), "regression", {})
    np.testing.assert_array_equal(model.predict(_frame(future)), _weekly(future))


def test_seasonal_naive_in_sample_uses_the_value_one_season_earlier() -> None:
    train = _days("2024-01-01", 21)
    y = np.arange(21.0)
    model = resolve_family("seasonal_naive").fit(_frame(train), y, "regression", {})
    predicted = model.predict(_frame(train[7:]))
    np.testing.assert_array_equal(predicted, y[:-7])


def test_seasonal_naive_skips_back_whole_seasons_over_gaps() -> None:
    train = _days("2024-01-01", 21)
    y = np.arange(21.0)
    keep = np.ones(21, dtype=bool)
    keep[[15, 16]] = False  # 2024-01-16 and 17 missing from the last week
    model = resolve_family("seasonal_naive").fit(_frame(train[keep]), y[keep], "regression", {})
    future = _days("2024-01-22", 7)
    # Jan 23 and 24 fall back one more week, to Jan 9 and 10 (indices 8 and 9).
    expected = np.array([14.0, 8.0, 9.0, 17.0, 18.0, 19.0, 20.0])
    np.testing.assert_array_equal(model.predict(_frame(future)), expected)


def test_seasonal_naive_falls_back_to_the_mean_without_an_earlier_season() -> None:
    train = _days("2024-01-01", 14)
    y = np.arange(14.0)
    model = resolve_family("seasonal_naive").fit(_frame(train), y, "regression", {})
    early = _days("2023-12-20", 3)  # before the training data: no season to copy
    off_grid = train[-1:] + np.timedelta64(12, "h")  # not on the daily grid
    np.testing.assert_array_equal(model.predict(_frame(early)), np.full(3, y.mean()))
    np.testing.assert_array_equal(model.predict(_frame(off_grid)), [y.mean()])


def test_seasonal_naive_season_is_counted_in_periods_of_the_series() -> None:
    weeks = np.datetime64("2024-01-01", "D") + np.arange(8) * np.timedelta64(7, "D")
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
    weekly = np.timedelta64(7, "D")
    model = resolve_family("seasonal_naive").fit(
        _frame(weeks, weekly), y, "regression", {"season": 4}
    )
    future = weeks[-1] + np.arange(1, 5) * weekly
    np.testing.assert_array_equal(model.predict(_frame(future, weekly)), [5.0, 6.0, 7.0, 8.0])


def test_seasonal_naive_round_trip_gives_identical_predictions() -> None:
    train, future = _days("2024-01-01", 30), _days("2024-01-25", 20)
    y = np.random.default_rng(0).normal(size=30)
    family = resolve_family("seasonal_naive")
    model = family.fit(_frame(train), y, "regression", {"season": 5})
    loaded = family.load(model.to_bytes())
    np.testing.assert_array_equal(loaded.predict(_frame(future)), model.predict(_frame(future)))


@pytest.mark.parametrize("season", [0, -7, 2.5, True, "7"])
def test_seasonal_naive_rejects_a_bad_season(season: object) -> None:
    train = _days("2024-01-01", 14)
    with pytest.raises(TrainingError, match="'season' must be a positive integer"):
        resolve_family("seasonal_naive").fit(
            _frame(train), np.zeros(14), "regression", {"season": season}
        )


def test_mean_predicts_the_training_mean_and_round_trips() -> None:
    train = _days("2024-01-01", 4)
    family = resolve_family("mean")
    model = family.fit(_frame(train), np.array([1.0, 2.0, 3.0, 6.0]), "regression", {})
    np.testing.assert_array_equal(model.predict(_frame(train[:2])), [3.0, 3.0])
    np.testing.assert_array_equal(family.load(model.to_bytes()).predict(_frame(train)), [3.0] * 4)


def test_prior_predicts_the_positive_rate_and_round_trips() -> None:
    train = _days("2024-01-01", 4)
    family = resolve_family("prior")
    model = family.fit(_frame(train), np.array([0, 1, 0, 0]), "binary_classification", {})
    np.testing.assert_array_equal(model.predict(_frame(train)), [0.25] * 4)
    np.testing.assert_array_equal(family.load(model.to_bytes()).predict(_frame(train)), [0.25] * 4)


def test_baseline_used_for_the_wrong_task_suggests_the_right_one() -> None:
    train = _days("2024-01-01", 4)
    with pytest.raises(TrainingError, match="not usable for binary_classification; use prior"):
        resolve_family("mean").fit(_frame(train), np.zeros(4), "binary_classification", {})


def test_baselines_reject_unknown_params() -> None:
    train = _days("2024-01-01", 4)
    with pytest.raises(TrainingError, match=r"does not take param\(s\) \['alpha'\]"):
        resolve_family("mean").fit(_frame(train), np.zeros(4), "regression", {"alpha": 1})


def test_loading_another_baselines_bytes_fails_clearly() -> None:
    train = _days("2024-01-01", 4)
    blob = resolve_family("mean").fit(_frame(train), np.zeros(4), "regression", {}).to_bytes()
    with pytest.raises(TrainingError, match="cannot load a 'prior' model"):
        resolve_family("prior").load(blob)
    with pytest.raises(TrainingError, match="cannot load a 'seasonal_naive' model"):
        resolve_family("seasonal_naive").load(blob)
