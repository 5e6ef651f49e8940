"""Evaluation windows: fit rows, then the validation window, then the holdout, on the calendar."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from modelfleet.config.spec import FleetSpec
from modelfleet.errors import TrainingError
from modelfleet.pipeline.windows import WindowMasks, check_window_rows, grouped_masks, period_of

SpecFactory = Callable[..., FleetSpec]
DAY = period_of("D")
START = np.datetime64("2024-01-01", "ns")


def _days(count: int) -> np.ndarray:
    return START + np.arange(count) * DAY


def _masks(count: int, horizon: int = 7, window: int = 7) -> WindowMasks:
    stamps = _days(count)
    return grouped_masks(
        np.zeros(count, np.int64),
        stamps,
        np.ones(count, bool),
        np.array([horizon]),
        np.array([window]),
        DAY,
    )


def test_the_validation_window_is_the_periods_just_before_the_holdout() -> None:
    masks = _masks(30, horizon=7, window=5)

    assert np.flatnonzero(masks.holdout).tolist() == list(range(23, 30))
    assert np.flatnonzero(masks.valid).tolist() == list(range(18, 23))
    assert np.flatnonzero(masks.fit).tolist() == list(range(18))


def test_windows_never_overlap_and_cover_every_known_row() -> None:
    masks = _masks(40)

    total = masks.fit.astype(int) + masks.valid.astype(int) + masks.holdout.astype(int)
    assert total.tolist() == [1] * 40


def test_each_tenant_of_a_group_gets_its_own_windows_from_its_own_last_row() -> None:
    # Tenant 0 has 20 days, tenant 1 has 30 days starting on the same date.
    stamps = np.concatenate([_days(20), _days(30)])
    codes = np.array([0] * 20 + [1] * 30)

    masks = grouped_masks(codes, stamps, np.ones(50, bool), np.array([7, 7]), np.array([7, 7]), DAY)

    assert np.flatnonzero(masks.holdout[:20]).tolist() == list(range(13, 20))
    assert np.flatnonzero(masks.holdout[20:]).tolist() == list(range(23, 30))


def test_rows_without_a_known_target_are_in_no_window() -> None:
    known = np.ones(30, bool)
    known[-3:] = False  # future rows: covariates known, target not

    masks = grouped_masks(
        np.zeros(30, np.int64), _days(30), known, np.array([7]), np.array([7]), DAY
    )

    assert not (masks.train | masks.holdout)[-3:].any()
    assert np.flatnonzero(masks.holdout).tolist() == list(range(20, 27))


def test_a_tenant_without_any_known_target_has_empty_windows() -> None:
    masks = grouped_masks(
        np.zeros(10, np.int64), _days(10), np.zeros(10, bool), np.array([3]), np.array([3]), DAY
    )

    assert not (masks.fit | masks.valid | masks.holdout).any()


def test_a_holdout_with_too_few_rows_fails_naming_the_setting(
    unit_spec_factory: SpecFactory,
) -> None:
    spec = unit_spec_factory(horizon=7, min_holdout_rows=8)

    with pytest.raises(TrainingError, match=r"holdout .* 7 row\(s\).*min_holdout_rows=8"):
        check_window_rows("s1", _masks(60), spec, "D")


def test_a_validation_window_with_too_few_rows_fails_naming_the_setting(
    unit_spec_factory: SpecFactory,
) -> None:
    spec = unit_spec_factory(horizon=7, min_holdout_rows=4)

    with pytest.raises(TrainingError, match=r"validation window .*validation.window"):
        check_window_rows("s1", _masks(60, window=2), spec, "D")


def test_no_rows_before_the_validation_window_is_a_training_error(
    unit_spec_factory: SpecFactory,
) -> None:
    spec = unit_spec_factory(horizon=7)

    with pytest.raises(TrainingError, match="no rows before the validation window"):
        check_window_rows("s1", _masks(14), spec, "D")


def _folded(
    count: int, folds: int, min_fit: int = 1, horizon: int = 7, window: int = 5
) -> WindowMasks:
    return grouped_masks(
        np.zeros(count, np.int64),
        _days(count),
        np.ones(count, bool),
        np.array([horizon]),
        np.array([window]),
        DAY,
        np.array([folds]),
        np.array([1]),
        np.array([min_fit]),
    )


def test_folds_are_consecutive_windows_back_from_the_holdout() -> None:
    masks = _folded(40, folds=3)

    windows = [np.flatnonzero(fold.valid).tolist() for fold in masks.folds]
    assert windows == [list(range(28, 33)), list(range(23, 28)), list(range(18, 23))]


def test_each_fold_fits_on_every_row_before_its_window() -> None:
    masks = _folded(40, folds=3)

    assert [np.flatnonzero(fold.fit).tolist() for fold in masks.folds] == [
        list(range(28)),
        list(range(23)),
        list(range(18)),
    ]


def test_with_folds_valid_is_every_window_and_fit_the_rows_before_them_all() -> None:
    masks = _folded(40, folds=3)

    assert np.flatnonzero(masks.valid).tolist() == list(range(18, 33))
    assert np.flatnonzero(masks.fit).tolist() == list(range(18))
    assert np.flatnonzero(masks.holdout).tolist() == list(range(33, 40))


def test_a_short_tenant_uses_only_the_folds_it_has_history_for() -> None:
    # Fold 1 fits on 23 rows, fold 2 on 18: with at least 20 fit rows only two folds remain.
    masks = _folded(40, folds=3, min_fit=20)

    assert len(masks.folds) == 2
    assert np.flatnonzero(masks.fit).tolist() == list(range(23))


def test_in_a_group_each_tenant_has_its_own_number_of_folds() -> None:
    # Tenant 0 has 40 days, tenant 1 only 30: its second fold would fit on 13 rows.
    stamps = np.concatenate([_days(40), _days(30)])
    codes = np.array([0] * 40 + [1] * 30)

    masks = grouped_masks(
        codes,
        stamps,
        np.ones(70, bool),
        np.array([7, 7]),
        np.array([5, 5]),
        DAY,
        np.array([3, 3]),
        np.array([1, 1]),
        np.array([15, 15]),
    )

    assert [int(fold.valid[:40].sum()) for fold in masks.folds] == [5, 5, 5]
    assert [int(fold.valid[40:].sum()) for fold in masks.folds] == [5, 0, 0]
