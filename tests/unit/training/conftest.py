"""Small synthetic tenant datasets shared by the training tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pytest

from modelfleet.training.frames import FeatureFrame


@dataclass(frozen=True)
class Dataset:
    """A feature frame and its target."""

    frame: FeatureFrame
    y: np.ndarray


def make_frame(n: int, seed: int, *, start: str = "2024-01-01") -> FeatureFrame:
    """Daily rows with two float features (one with nulls) and an integer-coded categorical."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    x2_mask = rng.random(n) < 0.1
    store = rng.integers(0, 4, size=n)
    table = pa.table(
        {
            "x1": pa.array(x1),
            "x2": pa.array(x2, mask=x2_mask),
            "store": pa.array(store, type=pa.int32()),
        }
    )
    stamps = np.datetime64(start, "D") + np.arange(n).astype("timedelta64[D]")
    return FeatureFrame(features=table, timestamps=stamps, categorical=("store",))


def regression_target(frame: FeatureFrame, seed: int) -> np.ndarray:
    """A target that depends on x1 and on the store category, plus noise."""
    rng = np.random.default_rng(seed + 1000)
    x1 = frame.to_matrix(["x1"], family="test")[:, 0]
    store = frame.to_matrix(["store"], family="test")[:, 0]
    noise = rng.normal(scale=0.5, size=frame.num_rows)
    return np.asarray(10 + 3 * x1 + 2 * store + noise, dtype=np.float64)


def binary_target(frame: FeatureFrame, seed: int) -> np.ndarray:
    """A 0/1 target that is mostly 1 when x1 is high."""
    rng = np.random.default_rng(seed + 2000)
    x1 = frame.to_matrix(["x1"], family="test")[:, 0]
    return (x1 + rng.normal(scale=0.5, size=frame.num_rows) > 0).astype(np.int64)


@pytest.fixture
def frame_factory() -> Callable[..., FeatureFrame]:
    """Build a synthetic frame: ``frame_factory(n, seed, start=...)``."""
    return make_frame


@pytest.fixture
def regression_data() -> tuple[Dataset, Dataset]:
    """(train, valid) for a regression tenant."""
    train, valid = make_frame(300, seed=1), make_frame(80, seed=2, start="2024-10-27")
    return (
        Dataset(train, regression_target(train, 1)),
        Dataset(valid, regression_target(valid, 2)),
    )


@pytest.fixture
def binary_data() -> tuple[Dataset, Dataset]:
    """(train, valid) for a binary classification tenant."""
    train, valid = make_frame(300, seed=3), make_frame(80, seed=4, start="2024-10-27")
    return Dataset(train, binary_target(train, 3)), Dataset(valid, binary_target(valid, 4))
