"""Fleet-wide drift statistics agree with scipy's one-group tests, group by group."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from modelfleet.monitoring.stats import (
    adjust,
    categorical_reference,
    categorical_tests,
    grouped_bins,
    hierarchical_adjust,
    null_tests,
    numeric_reference,
    numeric_tests,
)
from modelfleet.training.profiles import categorical_profile, numeric_profile


def _groups(samples: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    group = np.concatenate([np.full(len(s), i) for i, s in enumerate(samples)])
    return group, np.concatenate(samples)


def test_grouped_bins_equal_searchsorted_in_each_groups_own_cuts() -> None:
    rng = np.random.default_rng(0)
    profiles = [
        numeric_profile("x", rng.normal(size=n), bins=b) for n, b in [(500, 64), (50, 7), (3, 2)]
    ]
    reference = numeric_reference(profiles)
    samples = [rng.normal(scale=2, size=300) for _ in profiles]
    samples[0][:3] = [np.inf, -np.inf, profiles[0].cuts[5]]  # edges and a value on a cut
    group, values = _groups(samples)

    found = grouped_bins(reference.cuts, reference.sizes, group, values)

    expected = np.concatenate(
        [
            np.searchsorted(np.array(p.cuts), s, side="right")
            for p, s in zip(profiles, samples, strict=True)
        ]
    )
    assert np.array_equal(found, expected)


def test_ks_on_a_discrete_column_equals_scipys_two_sample_statistic() -> None:
    rng = np.random.default_rng(1)
    train = [
        rng.integers(0, 7, size=2_000).astype(float),
        rng.integers(0, 3, size=800).astype(float),
    ]
    live = [rng.integers(0, 7, size=400).astype(float), rng.integers(1, 4, size=300).astype(float)]
    reference = numeric_reference([numeric_profile("x", t) for t in train])

    found = numeric_tests(reference, *_groups(live))

    for i, (t, c) in enumerate(zip(train, live, strict=True)):
        assert found.ks[i] == pytest.approx(stats.ks_2samp(t, c).statistic, abs=1e-12)


def test_ks_on_a_continuous_column_is_close_to_and_never_above_the_raw_statistic() -> None:
    rng = np.random.default_rng(2)
    train = rng.normal(size=5_000)
    live = [rng.normal(size=1_000), rng.normal(loc=0.3, size=1_000)]
    reference = numeric_reference([numeric_profile("x", train, bins=64)] * 2)

    found = numeric_tests(reference, *_groups(live))

    raw = [stats.ks_2samp(train, c) for c in live]
    assert np.all(found.ks <= [r.statistic + 1e-12 for r in raw])
    assert found.ks == pytest.approx([r.statistic for r in raw], abs=1 / 64)
    assert found.p_value[1] < 1e-10 < found.p_value[0]
    assert found.p_value[0] == pytest.approx(raw[0].pvalue, abs=0.1)


def test_psi_is_near_zero_without_shift_and_large_with_it() -> None:
    rng = np.random.default_rng(3)
    reference = numeric_reference([numeric_profile("x", rng.normal(size=10_000))] * 2)
    live = [rng.normal(size=5_000), rng.normal(loc=1.0, size=5_000)]

    found = numeric_tests(reference, *_groups(live))

    assert found.psi[0] < 0.01
    assert found.psi[1] > 0.5


def test_numeric_tests_count_current_nulls_and_leave_a_group_without_values_untested() -> None:
    reference = numeric_reference([numeric_profile("x", np.arange(100.0))] * 2)
    group = np.array([0, 0, 0, 1])
    values = np.array([1.0, np.nan, 50.0, np.nan])

    found = numeric_tests(reference, group, values)

    assert found.rows.tolist() == [2, 0]
    assert found.nulls.tolist() == [1, 1]
    assert (found.ks[1], found.p_value[1]) == (0.0, 1.0)


def test_chi2_equals_scipys_contingency_test_and_js_its_distance() -> None:
    rng = np.random.default_rng(4)
    train = [rng.integers(0, 4, size=1_000), rng.integers(0, 6, size=500)]
    live = [rng.integers(0, 4, size=200), rng.choice(6, size=300, p=[0.5, 0.1, 0.1, 0.1, 0.1, 0.1])]
    profiles = [
        categorical_profile("c", t.astype(float), k) for t, k in zip(train, (4, 6), strict=True)
    ]
    reference = categorical_reference(profiles)
    group, codes = _groups([c.astype(float) for c in live])

    found = categorical_tests(reference, group, codes)

    for i, (p, c) in enumerate(zip(profiles, live, strict=True)):
        table = np.array([p.counts, np.bincount(c, minlength=len(p.counts))])
        expected = stats.chi2_contingency(table, correction=False)
        assert found.chi2[i] == pytest.approx(expected.statistic)
        assert found.p_value[i] == pytest.approx(expected.pvalue)
    assert found.js[0] < 0.1 < found.js[1]


def test_categorical_tests_count_unknown_codes_as_nulls() -> None:
    reference = categorical_reference([categorical_profile("c", np.array([0.0, 1.0, 1.0]), 2)])

    found = categorical_tests(
        reference, np.zeros(4, dtype=np.int64), np.array([0.0, 5.0, -1.0, np.nan])
    )

    assert (found.rows.tolist(), found.nulls.tolist()) == ([1], [3])


def test_null_tests_flag_a_rise_in_nulls_and_not_an_unchanged_rate() -> None:
    change, p = null_tests(
        np.array([900, 900]), np.array([100, 100]), np.array([450, 300]), np.array([50, 200])
    )

    assert change == pytest.approx([0.0, 0.3])
    assert p[0] > 0.5 and p[1] < 1e-20


def test_adjust_matches_scipys_benjamini_hochberg() -> None:
    p = np.random.default_rng(5).uniform(size=1_000) ** 3
    assert np.allclose(adjust(p), stats.false_discovery_control(p, method="bh"))
    assert adjust(np.array([])).size == 0


def _hierarchical_by_hand(
    p: np.ndarray, family: np.ndarray, families: int, alpha: float
) -> np.ndarray:
    """The procedure family by family, as its paper states it."""
    simes = np.ones(families)
    within = np.ones_like(p)
    for f in range(families):
        mine = np.flatnonzero(family == f)
        if mine.size:
            ranked = np.sort(p[mine])
            simes[f] = min(ranked * mine.size / np.arange(1, mine.size + 1))
            within[mine] = stats.false_discovery_control(p[mine], method="bh")
    family_adjusted = stats.false_discovery_control(simes, method="bh")
    selected = max(int((family_adjusted < alpha).sum()), 1)
    return np.minimum(np.maximum(within * families / selected, family_adjusted[family]), 1.0)


def test_hierarchical_adjust_equals_the_procedure_run_family_by_family() -> None:
    rng = np.random.default_rng(6)
    family = rng.integers(0, 50, size=2_000)
    p = rng.uniform(size=2_000)
    p[family < 5] **= 6  # five families with real effects

    found, family_adjusted = hierarchical_adjust(p, family, 52, 0.05)  # 50, 51: no tests

    assert np.allclose(found, _hierarchical_by_hand(p, family, 52, 0.05))
    assert set(np.flatnonzero(family_adjusted < 0.05)) == set(range(5))
    assert family_adjusted[50] == family_adjusted[51] == 1.0


def test_hierarchical_adjust_of_no_tests_selects_no_family() -> None:
    found, family_adjusted = hierarchical_adjust(
        np.array([]), np.array([], dtype=np.int64), 3, 0.05
    )
    assert found.size == 0 and family_adjusted.tolist() == [1.0, 1.0, 1.0]
