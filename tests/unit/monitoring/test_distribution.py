"""``drift.distribution``: one tenant's column binned by its profile, as the tests see it."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from modelfleet.errors import ModelfleetError, UsageError
from modelfleet.monitoring.distribution import distribution
from modelfleet.monitoring.drift import PREDICTION, FleetWindow, TenantRows
from modelfleet.training.profiles import ReferenceProfile, build_profile


def _profile(tenant: str) -> ReferenceProfile:
    """x: 0..99 (quartile cuts 24, 49, 74: bins of 24, 25, 25, 26 values); kind: codes 0 and 1
    of a 3-word vocabulary, 50 each."""
    return build_profile(
        fleet="f",
        tenant=tenant,
        features=pa.table(
            {"x": np.arange(100.0), "kind": np.r_[np.zeros(50), np.ones(50)]},
        ),
        categorical={"kind": 3},
        target_name="y",
        target=np.arange(100.0),
        predictions=np.arange(100.0),
        bins=4,
    )


def _window(x: list[float], kind: list[float], other: int = 3) -> FleetWindow:
    """Tenant "a" with the given rows, tenant "b" with ``other`` rows of other values."""
    parts = [
        TenantRows("a", _profile("a"), pa.table({"x": x, "kind": kind}), np.array(x)),
        TenantRows(
            "b",
            _profile("b"),
            pa.table({"x": [1000.0] * other, "kind": [2.0] * other}),
            np.full(other, 1000.0),
        ),
    ]
    return FleetWindow.of_tenants(parts)


def test_numeric_edges_are_the_profiles_cuts() -> None:
    window = _window([10.0], [0.0])

    found = distribution(window, "a", "x")

    assert found.edges.tolist() == list(window.profiles[0].feature("x").cuts) == [24, 49, 74]
    assert found.kind == "numeric"


def test_numeric_shares_are_the_reference_and_the_windows_share_per_bin() -> None:
    found = distribution(_window([10.0, 30.0, 80.0, 90.0], [0.0] * 4), "a", "x")

    assert found.reference.tolist() == [0.24, 0.25, 0.25, 0.26]
    assert found.current.tolist() == [0.25, 0.25, 0.0, 0.5]
    assert found.rows == 4


def test_a_value_on_a_cut_falls_in_the_bin_that_cut_starts() -> None:
    found = distribution(_window([24.0], [0.0]), "a", "x")

    assert found.current.tolist() == [0.0, 1.0, 0.0, 0.0]


def test_only_the_asked_tenants_rows_are_counted() -> None:
    found = distribution(_window([10.0], [0.0], other=50), "a", "x")

    assert found.rows == 1 and found.current[0] == 1.0


def test_nulls_are_left_out_of_the_shares() -> None:
    found = distribution(_window([10.0, float("nan")], [0.0, 0.0]), "a", "x")

    assert found.rows == 1 and found.current.sum() == 1.0


def test_rows_that_did_not_carry_a_column_are_left_out_of_it() -> None:
    window = _window([10.0, 90.0], [0.0, 0.0])
    carried = np.array([True, False, True, True, True])  # a's second row had no x
    window = FleetWindow(
        tenants=window.tenants,
        profiles=window.profiles,
        tenant_index=window.tenant_index,
        columns=window.columns,
        predictions=window.predictions,
        logged={"x": carried},
    )

    found = distribution(window, "a", "x")

    assert found.rows == 1 and found.current.tolist() == [1.0, 0.0, 0.0, 0.0]


def test_categorical_bins_are_the_vocabulary_codes() -> None:
    found = distribution(_window([1.0] * 4, [0.0, 2.0, 2.0, 2.0]), "a", "kind")

    assert found.kind == "categorical"
    assert found.edges.tolist() == [0.0, 1.0, 2.0]
    assert found.reference.tolist() == [0.5, 0.5, 0.0]
    assert found.current.tolist() == [0.25, 0.0, 0.75]


def test_codes_outside_the_vocabulary_are_left_out_like_nulls() -> None:
    found = distribution(_window([1.0, 1.0], [0.0, 7.0]), "a", "kind")

    assert found.rows == 1 and found.current.tolist() == [1.0, 0.0, 0.0]


def test_predictions_are_binned_by_the_holdout_predictions_profile() -> None:
    found = distribution(_window([10.0, 90.0], [0.0, 0.0]), "a", PREDICTION)

    assert found.kind == PREDICTION
    assert found.current.tolist() == [0.5, 0.0, 0.0, 0.5]


def test_a_tenant_outside_the_window_is_refused_naming_it() -> None:
    with pytest.raises(UsageError, match="tenant 'zz' was not part of this drift window"):
        distribution(_window([1.0], [0.0]), "zz", "x")


def test_a_column_the_profile_lacks_is_refused_naming_the_columns_it_has() -> None:
    with pytest.raises(ModelfleetError, match=r"no column 'nope' \(it has: x, kind\)"):
        distribution(_window([1.0], [0.0]), "a", "nope")


def test_an_empty_window_gives_zero_current_shares() -> None:
    found = distribution(_window([], []), "a", "x")

    assert found.rows == 0 and found.current.tolist() == [0.0, 0.0, 0.0, 0.0]


def test_a_column_the_window_lacks_is_refused_naming_it() -> None:
    full = _window([1.0], [0.0])
    window = FleetWindow(
        tenants=full.tenants,
        profiles=full.profiles,
        tenant_index=full.tenant_index,
        columns={"kind": full.columns["kind"]},
        predictions=full.predictions,
    )

    with pytest.raises(UsageError, match="tenant a: the window has no column 'x'"):
        distribution(window, "a", "x")
