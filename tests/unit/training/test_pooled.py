"""The pooled estimator: per-tenant scale in and out, attributes as inputs, the shared booster."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from modelfleet.errors import TrainingError
from modelfleet.training.frames import FeatureFrame
from modelfleet.training.package_meta import PooledInputs
from modelfleet.training.pooled import (
    PooledFamily,
    PooledLayout,
    fit_pooled,
    layout_of,
    pooled_matrix,
    target_derived,
    tenant_scale,
)

LAYOUT = PooledLayout(
    feature_columns=("lag_8", "promo"),
    categorical=(),
    scaled=("lag_8",),
    attributes=("kind",),
    categorical_attributes=("kind",),
)


def _fleet(rows: int = 400) -> tuple[pa.Table, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Two tenants, one 100x the other: sales = scale * (1 + promo), lag = the same scale."""
    rng = np.random.default_rng(0)
    tenant = np.repeat([0, 1], rows // 2)
    scale = np.where(tenant == 0, 10.0, 1000.0)
    promo = rng.integers(0, 2, rows).astype(float)
    table = pa.table({"lag_8": scale * (1 + rng.random(rows) * 0.01), "promo": promo})
    return table, scale * (1 + promo), scale, {"kind": tenant.astype(float)}


def test_target_derived_columns_are_the_lags_and_rolling_statistics() -> None:
    names = ("lag_8", "roll_4_mean", "roll_13_std", "promo", "cal_month", "lagged_price")

    assert target_derived(names) == ("lag_8", "roll_4_mean", "roll_13_std")


@pytest.mark.parametrize(("values", "scale"), [([2.0, 4.0], 3.0), ([0.0, 0.0], 1.0), ([], 1.0)])
def test_a_tenants_scale_is_its_mean_absolute_target_or_one(
    values: list[float], scale: float
) -> None:
    assert tenant_scale(np.array(values)) == scale


def test_the_matrix_divides_target_derived_columns_by_the_rows_scale() -> None:
    table, _, scale, attributes = _fleet(4)

    matrix = pooled_matrix(LAYOUT, table, scale, attributes)

    assert matrix.shape == (4, 4)  # lag_8, promo, attr_kind, pooled_log_scale
    assert np.allclose(matrix[:, 0], table["lag_8"].to_numpy() / scale)
    assert np.allclose(matrix[:, 3], np.log(scale))


def test_one_pooled_model_predicts_both_tenants_in_their_own_units() -> None:
    table, target, scale, attributes = _fleet()
    booster = fit_pooled(
        LAYOUT,
        pooled_matrix(LAYOUT, table, scale, attributes),
        target / scale,
        {"n_estimators": 50, "min_child_samples": 5},
    )
    inputs = PooledInputs(scale=1000.0, scaled=("lag_8",), attributes={"kind": 1.0})
    bound = PooledFamily().load(booster.to_bytes()).bind(inputs, LAYOUT)
    rows = pa.table({"lag_8": [1000.0, 1000.0], "promo": [0.0, 1.0]})
    frame = FeatureFrame(rows, np.array(["2024-01-01", "2024-01-08"], "datetime64[ns]"))

    predicted = bound.predict(frame)

    assert predicted == pytest.approx([1000.0, 2000.0], rel=0.05)


def test_the_unbound_booster_refuses_to_predict() -> None:
    table, target, scale, attributes = _fleet()
    booster = fit_pooled(
        LAYOUT, pooled_matrix(LAYOUT, table, scale, attributes), target / scale, {}
    )
    loaded = PooledFamily().load(booster.to_bytes())
    frame = FeatureFrame(table, np.zeros(table.num_rows, "datetime64[ns]"))

    with pytest.raises(TrainingError, match="predicts for one tenant"):
        loaded.predict(frame)


def test_metadata_naming_other_attributes_than_the_booster_is_refused() -> None:
    table, target, scale, attributes = _fleet()
    booster = fit_pooled(
        LAYOUT, pooled_matrix(LAYOUT, table, scale, attributes), target / scale, {}
    )
    inputs = PooledInputs(scale=10.0, scaled=("lag_8",), attributes={"region": 1.0})

    with pytest.raises(TrainingError, match="mismatched artifacts"):
        layout_of(booster, ("lag_8", "promo"), inputs)


def test_the_pooled_family_cannot_be_fitted_per_tenant() -> None:
    table, target, _, _ = _fleet()
    frame = FeatureFrame(table, np.zeros(table.num_rows, "datetime64[ns]"))

    with pytest.raises(TrainingError, match="trained once over all tenants"):
        PooledFamily().fit(frame, target, "regression", {})
