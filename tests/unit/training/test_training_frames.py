"""FeatureFrame validation and column selection."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from modelfleet.errors import TrainingError
from modelfleet.training.frames import FeatureFrame, check_target


def _stamps(n: int) -> np.ndarray:
    return np.datetime64("2024-01-01", "D") + np.arange(n).astype("timedelta64[D]")


def test_timestamps_are_normalised_to_nanoseconds() -> None:
    frame = FeatureFrame(pa.table({"a": [1.0, 2.0]}), _stamps(2))
    assert frame.timestamps.dtype == np.dtype("datetime64[ns]")
    assert frame.timestamps[1] - frame.timestamps[0] == np.timedelta64(1, "D")


def test_row_count_mismatch_is_rejected() -> None:
    with pytest.raises(TrainingError, match="3 feature rows but 2 timestamps"):
        FeatureFrame(pa.table({"a": [1.0, 2.0, 3.0]}), _stamps(2))


def test_descending_timestamps_are_rejected() -> None:
    with pytest.raises(TrainingError, match="ascending"):
        FeatureFrame(pa.table({"a": [1.0, 2.0]}), _stamps(2)[::-1])


def test_non_datetime_timestamps_are_rejected() -> None:
    with pytest.raises(TrainingError, match="datetime64"):
        FeatureFrame(pa.table({"a": [1.0]}), np.array([1]))


def test_string_feature_column_is_rejected_with_its_name() -> None:
    with pytest.raises(TrainingError, match=r"'city'.*integer-code"):
        FeatureFrame(pa.table({"city": ["a", "b"]}), _stamps(2))


def test_categorical_must_be_an_integer_feature_column() -> None:
    with pytest.raises(TrainingError, match="'a' must be integer-coded"):
        FeatureFrame(pa.table({"a": [1.0, 2.0]}), _stamps(2), categorical=("a",))
    with pytest.raises(TrainingError, match="'b' is not among the feature columns"):
        FeatureFrame(pa.table({"a": [1, 2]}), _stamps(2), categorical=("b",))


def test_to_matrix_selects_columns_by_name_and_maps_nulls_to_nan() -> None:
    table = pa.table({"a": pa.array([1, None, 3]), "b": [0.5, 1.5, 2.5]})
    matrix = FeatureFrame(table, _stamps(3)).to_matrix(["b", "a"], family="f")
    np.testing.assert_array_equal(matrix, [[0.5, 1.0], [1.5, np.nan], [2.5, 3.0]])


def test_to_matrix_names_the_missing_columns_and_family() -> None:
    frame = FeatureFrame(pa.table({"a": [1.0]}), _stamps(1))
    with pytest.raises(TrainingError, match=r"'lightgbm' needs feature columns \['b'\]"):
        frame.to_matrix(["a", "b"], family="lightgbm")


def test_select_keeps_only_the_named_columns_and_their_categoricals() -> None:
    frame = FeatureFrame(pa.table({"a": [1], "b": [2.0]}), _stamps(1), categorical=("a",))
    picked = frame.select(["b"])
    assert picked.column_names == ("b",)
    assert picked.categorical == ()


def test_check_target_rejects_nan_and_non_binary_labels() -> None:
    with pytest.raises(TrainingError, match="NaN"):
        check_target(np.array([1.0, np.nan]), 2, "regression", family="f")
    with pytest.raises(TrainingError, match="must be 0 or 1"):
        check_target(np.array([0, 2]), 2, "binary_classification", family="f")
