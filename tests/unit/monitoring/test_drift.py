"""Fleet drift verdicts: shifted tenants are found, unshifted fleets raise (almost) no alarm."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from modelfleet.errors import ConfigError, UsageError
from modelfleet.monitoring.drift import (
    DriftPolicy,
    FleetDrift,
    FleetWindow,
    TenantRows,
    fleet_drift,
)
from modelfleet.training.profiles import ReferenceProfile, build_profile

FEATURES = 10


def _table(
    rng: np.random.Generator, rows: int, shift: float = 0.0, kinds_p: list[float] | None = None
) -> pa.Table:
    columns = {
        f"x{i}": rng.normal(loc=shift if i < 4 else 0.0, size=rows) for i in range(FEATURES - 1)
    }
    columns["kind"] = rng.choice(3, size=rows, p=kinds_p or [0.5, 0.3, 0.2]).astype(np.int64)
    return pa.table(columns)


def _profile(rng: np.random.Generator, tenant: str, rows: int = 2_000) -> ReferenceProfile:
    return build_profile(
        fleet="f",
        tenant=tenant,
        features=_table(rng, rows),
        categorical={"kind": 3},
        target_name="y",
        target=rng.normal(size=rows),
        predictions=rng.normal(size=200),
    )


def _window(
    rng: np.random.Generator, profile: ReferenceProfile, rows: int, shift: float = 0.0, **kw: object
) -> TenantRows:
    return TenantRows(
        profile.tenant, profile, _table(rng, rows, shift, **kw), rng.normal(size=rows)
    )  # type: ignore[arg-type]


def _drift(parts: list[TenantRows], policy: DriftPolicy | None = None) -> FleetDrift:
    return fleet_drift(FleetWindow.of_tenants(parts), policy)


def test_tenants_with_injected_shift_are_found_and_only_they() -> None:
    rng = np.random.default_rng(0)
    profiles = [_profile(rng, str(i)) for i in range(40)]
    shifted = {"3", "17", "29"}
    windows = [_window(rng, p, 300, 1.0 if p.tenant in shifted else 0.0) for p in profiles]

    result = _drift(windows)

    assert {t.tenant for t in result.tenants if t.drifted} == shifted
    assert set(result.tenant("3").drifted_columns) == {"x0", "x1", "x2", "x3"}
    assert result.tenant("3").share == pytest.approx(0.4)


def test_a_fleet_without_shift_flags_almost_no_column() -> None:
    rng = np.random.default_rng(1)
    profiles = [_profile(rng, str(i)) for i in range(200)]

    result = _drift([_window(rng, p, 100) for p in profiles])

    flagged = sum(c.drifted for c in result.columns)
    assert flagged / len(result.columns) <= 0.01
    assert not any(t.drifted for t in result.tenants)
    assert result.tests == len(result.columns)  # no nulls on either side: no null-rate tests


def test_a_huge_window_does_not_flag_a_shift_too_small_to_matter() -> None:
    rng = np.random.default_rng(2)
    profile = _profile(rng, "big", rows=200_000)

    result = _drift([_window(rng, profile, 200_000, shift=0.02)])

    shifted = [c for c in result.columns if c.column in ("x0", "x1")]
    assert all(c.p_adjusted < 0.05 for c in shifted)  # significant at this size ...
    assert not any(c.drifted for c in shifted)  # ... but below the effect floor


def test_a_changed_category_mix_drifts_the_categorical_column() -> None:
    rng = np.random.default_rng(3)
    profile = _profile(rng, "t")

    result = _drift([_window(rng, profile, 500, kinds_p=[0.1, 0.2, 0.7])])

    (kind,) = [c for c in result.columns if c.column == "kind"]
    assert kind.kind == "categorical" and kind.drifted and kind.psi is None
    assert kind.effect > 0.1


def test_a_rise_in_nulls_drifts_a_column_whose_values_look_the_same() -> None:
    rng = np.random.default_rng(4)
    profile = _profile(rng, "t")
    table = _table(rng, 1_000)
    x5 = table["x5"].to_numpy().copy()
    x5[:300] = np.nan
    window = TenantRows(
        "t", profile, table.set_column(5, "x5", pa.array(x5)), rng.normal(size=1_000)
    )

    (x5_drift,) = [c for c in _drift([window]).columns if c.column == "x5"]

    assert x5_drift.drifted
    assert x5_drift.null_change == pytest.approx(0.3)


def test_prediction_drift_is_reported_beside_the_share_not_in_it() -> None:
    rng = np.random.default_rng(5)
    profile = _profile(rng, "t")
    window = TenantRows("t", profile, _table(rng, 500), rng.normal(loc=2.0, size=500))

    verdict = _drift([window]).tenant("t")

    assert verdict.prediction.drifted
    assert verdict.share == 0.0 and verdict.tested == FEATURES


def test_a_column_with_too_few_current_rows_is_not_tested() -> None:
    rng = np.random.default_rng(6)
    verdict = _drift([_window(rng, _profile(rng, "t"), 10, shift=3.0)]).tenant("t")

    assert verdict.tested == 0 and not verdict.drifted


def test_a_window_missing_a_trained_column_is_refused_naming_tenant_and_column() -> None:
    rng = np.random.default_rng(7)
    profile = _profile(rng, "t")
    window = TenantRows("t", profile, _table(rng, 50).drop_columns(["x3"]), np.zeros(50))

    with pytest.raises(UsageError, match="tenant t: the window has no column 'x3'"):
        _drift([window])


@pytest.mark.parametrize(
    ("field", "value"), [("alpha", 1.5), ("drift_share", -0.1), ("min_rows", 0), ("psi_bins", 1)]
)
def test_a_policy_outside_its_bounds_is_a_config_error(field: str, value: float) -> None:
    with pytest.raises(ConfigError, match=f"monitoring.{field}"):
        DriftPolicy(**{field: value})


def test_excluded_columns_are_not_tested_even_when_they_shift() -> None:
    rng = np.random.default_rng(8)
    profile = _profile(rng, "t")

    result = _drift([_window(rng, profile, 400, shift=2.0)], DriftPolicy(exclude={"x0", "x1"}))

    assert {c.column for c in result.columns} == (
        {f"x{i}" for i in range(2, FEATURES - 1)} | {"kind", "prediction"}
    )
    assert set(result.tenant("t").drifted_columns) == {"x2", "x3"}
