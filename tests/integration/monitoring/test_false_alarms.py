"""Scenario: a fleet with no shift raises no alert storm, and a shifted tenth of it is found.

A simulated retail fleet of 200 tenants, each with its own sales level and price: reference
profiles are built by :func:`~modelfleet.training.profiles.build_profile` from 540 synthetic
training rows (lags and a rolling mean of sales, price, promo and holiday flags, a temperature
with 3% nulls, a sales channel category), and each live window (100 to 400 logged rows) is
drawn from the very same distributions. The fleet-wide verdicts (``fleet_drift`` with the
``monitoring.drift`` defaults) must flag under 2% of the tenants (the issue's bar) for every
seed. In the companion fleet a tenth of the tenants see their sales level jump by 30% (the lags
and the rolling mean shift; the rest stays), and those must be the ones flagged: recall and
precision at least 90%. Seeds are fixed, so every run sees the same fleets; the rates measured
are in docs/monitoring.md.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pyarrow as pa
import pytest

from modelfleet.config.monitoring_blocks import DriftSpec
from modelfleet.monitoring.drift import FleetDrift, FleetWindow, TenantRows, fleet_drift
from modelfleet.monitoring.service import policy_of
from modelfleet.training.profiles import build_profile

pytestmark = pytest.mark.slow  # ten 200-tenant fleets: about 10 s

TENANTS = 200
TRAINING_ROWS = 540  # about eighteen months of daily rows before the holdout
WINDOW_ROWS = (100, 400)  # logged rows per tenant in the window, drawn per tenant
SHIFTED = 20  # a tenth of the fleet
LEVEL_JUMP = 1.3  # the shifted tenants' sales level, relative to training
SEEDS = (0, 1, 2, 3, 4)
MAX_FLAGGED_SHARE = 0.02
MIN_RECALL = MIN_PRECISION = 0.9


def _inputs(
    rng: np.random.Generator, rows: int, level: float, price: float, jump: float = 1.0
) -> pa.Table:
    """One tenant's encoded model inputs, as its package would feed them (floats, codes)."""
    temperature = rng.normal(15.0, 8.0, rows)
    temperature[rng.random(rows) < 0.03] = np.nan
    return pa.table(
        {
            "lag_7": rng.lognormal(level, 0.4, rows) * jump,
            "lag_28": rng.lognormal(level, 0.4, rows) * jump,
            "rolling_mean_28": rng.lognormal(level, 0.15, rows) * jump,
            "price": rng.normal(price, 0.1 * price, rows),
            "promo": (rng.random(rows) < 0.2).astype(np.float64),
            "holiday": (rng.random(rows) < 0.03).astype(np.float64),
            "temperature": temperature,
            "channel": rng.choice(3, size=rows, p=[0.6, 0.3, 0.1]).astype(np.float64),
        }
    )


def _fleet(seed: int, shifted: Collection[str] = ()) -> FleetDrift:
    """The verdicts of one simulated fleet; ``shifted`` tenants' sales level jumps."""
    rng = np.random.default_rng(seed)
    parts = []
    for t in range(TENANTS):
        tenant = f"store-{t:03d}"
        level, price = rng.uniform(3.0, 7.0), rng.uniform(1.0, 20.0)
        profile = build_profile(
            fleet="retail",
            tenant=tenant,
            features=_inputs(rng, TRAINING_ROWS, level, price),
            categorical={"channel": 3},
            target_name="sales",
            target=rng.lognormal(level, 0.4, TRAINING_ROWS),
            predictions=rng.lognormal(level, 0.3, 60),
        )
        rows = int(rng.integers(*WINDOW_ROWS))
        jump = LEVEL_JUMP if tenant in shifted else 1.0
        window = _inputs(rng, rows, level, price, jump)
        parts.append(TenantRows(tenant, profile, window, rng.lognormal(level, 0.3, rows) * jump))
    return fleet_drift(FleetWindow.of_tenants(parts), policy_of(DriftSpec()))


def _flagged(drift: FleetDrift) -> set[str]:
    return {t.tenant for t in drift.tenants if t.drifted}


@pytest.fixture(scope="module", params=SEEDS)
def unshifted(request: pytest.FixtureRequest) -> FleetDrift:
    """A fleet whose windows come from its training distributions."""
    return _fleet(int(request.param))


@pytest.fixture(scope="module", params=SEEDS)
def shifted(request: pytest.FixtureRequest) -> tuple[FleetDrift, set[str]]:
    """A fleet with a tenth of its tenants shifted, and which ones."""
    seed = int(request.param)
    picks = np.random.default_rng(1_000 + seed).choice(TENANTS, SHIFTED, replace=False)
    chosen = {f"store-{t:03d}" for t in picks.tolist()}
    return _fleet(seed, chosen), chosen


def test_a_fleet_without_shift_flags_under_2_percent_of_its_tenants(
    unshifted: FleetDrift,
) -> None:
    tested = [t for t in unshifted.tenants if t.tested]

    assert len(tested) == TENANTS  # every tenant was judged, so no alarm is no test
    assert len(_flagged(unshifted)) / TENANTS < MAX_FLAGGED_SHARE


def test_a_shifted_tenth_of_the_fleet_is_found_with_at_least_90_percent_recall(
    shifted: tuple[FleetDrift, set[str]],
) -> None:
    drift, chosen = shifted

    assert len(_flagged(drift) & chosen) / len(chosen) >= MIN_RECALL


def test_the_tenants_flagged_in_a_shifted_fleet_are_at_least_90_percent_shifted_ones(
    shifted: tuple[FleetDrift, set[str]],
) -> None:
    drift, chosen = shifted
    flagged = _flagged(drift)

    assert flagged  # a precision over nothing flagged would pass by itself
    assert len(flagged & chosen) / len(flagged) >= MIN_PRECISION
