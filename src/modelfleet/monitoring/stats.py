"""Drift statistics for many (tenant, column) groups at once: one numpy pass, no loop per group.

Every function takes *groups*: group ``g`` is one column of one tenant, with its reference
(from the version's profile, :mod:`modelfleet.training.profiles`) in row ``g`` of padded
matrices, and the current values as flat arrays with a group index per value. So a fleet of
1,000 tenants x 20 columns is a handful of array operations over all its values together.

* :func:`grouped_bins`: each value's bin in its own group's cuts (a vectorised binary search);
* :func:`numeric_tests`: Kolmogorov-Smirnov statistic and p-value at the reference's cut points,
  PSI over bins of equal reference mass;
* :func:`categorical_tests`: chi-squared test of the 2 x categories table, Jensen-Shannon distance;
* :func:`null_tests`: two-proportion z-test of the null rates;
* :func:`adjust`: Benjamini-Hochberg adjusted p-values;
* :func:`hierarchical_adjust`: tenants first, then the columns inside flagged tenants.

The KS statistic is taken at the reference's cut points, where its counts are exact, so it
is the two-sample statistic of the data seen through those bins: never above the statistic of
the raw values, so binning cannot raise a false alarm (it can only miss drift finer than a bin).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
from scipy import special, stats
from scipy.spatial import distance

from modelfleet.training.profiles import ColumnProfile

PSI_SMOOTHING = 0.5  # a pseudo-count per bin, so an empty bin costs a bounded amount of PSI


@dataclass(frozen=True)
class NumericReference:
    """The numeric columns of a pass: cuts padded with +inf, counts padded with zeros."""

    cuts: np.ndarray  # [G, K] float64, each row ascending then +inf
    sizes: np.ndarray  # [G] number of real cuts per group
    counts: np.ndarray  # [G, K + 1] int64 reference counts per bin
    nulls: np.ndarray  # [G] reference null counts


@dataclass(frozen=True)
class CategoricalReference:
    """The categorical columns of a pass: counts per code, padded with zeros."""

    counts: np.ndarray  # [G, C] int64
    nulls: np.ndarray  # [G]


@dataclass(frozen=True)
class NumericTests:
    """Per group: current counts, KS statistic and p-value, PSI."""

    rows: np.ndarray  # current non-null values
    nulls: np.ndarray  # current nulls
    ks: np.ndarray
    p_value: np.ndarray
    psi: np.ndarray


@dataclass(frozen=True)
class CategoricalTests:
    """Per group: current counts, chi-squared statistic and p-value, Jensen-Shannon distance."""

    rows: np.ndarray
    nulls: np.ndarray
    chi2: np.ndarray
    p_value: np.ndarray
    js: np.ndarray


def numeric_reference(columns: Sequence[ColumnProfile]) -> NumericReference:
    """The padded matrices of numeric column profiles (one row per group, in order)."""
    sizes = np.fromiter((len(c.cuts) for c in columns), dtype=np.int64, count=len(columns))
    width = _pow2(int(sizes.max()) if sizes.size else 0)
    cuts = np.full((len(columns), width), np.inf)
    counts = np.zeros((len(columns), width + 1), dtype=np.int64)
    rows = np.repeat(np.arange(len(columns)), sizes)
    within = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    cuts[rows, within] = _flat((c.cuts for c in columns), np.float64)
    bins = sizes + 1
    rows = np.repeat(np.arange(len(columns)), bins)
    within = np.arange(int(bins.sum())) - np.repeat(np.cumsum(bins) - bins, bins)
    counts[rows, within] = _flat((c.counts for c in columns), np.int64)
    nulls = np.fromiter((c.nulls for c in columns), dtype=np.int64, count=len(columns))
    return NumericReference(cuts, sizes, counts, nulls)


def categorical_reference(columns: Sequence[ColumnProfile]) -> CategoricalReference:
    """The padded count matrix of categorical column profiles."""
    sizes = np.fromiter((len(c.counts) for c in columns), dtype=np.int64, count=len(columns))
    counts = np.zeros((len(columns), max(int(sizes.max()) if sizes.size else 0, 1)), np.int64)
    rows = np.repeat(np.arange(len(columns)), sizes)
    within = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    counts[rows, within] = _flat((c.counts for c in columns), np.int64)
    nulls = np.fromiter((c.nulls for c in columns), dtype=np.int64, count=len(columns))
    return CategoricalReference(counts, nulls)


def grouped_bins(
    cuts: np.ndarray, sizes: np.ndarray, group: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """For each value, how many cuts of its group are at or below it (its bin index).

    A branch-free binary search run for all values at once: log2(K) gathers of N values.
    ``cuts`` rows are ascending and padded with +inf to a power-of-two width.
    """
    width = cuts.shape[1]
    if width == 0:
        return np.zeros(len(values), dtype=np.int64)
    flat = cuts.ravel()
    start = group.astype(np.int64) * width - 1  # flat index of "cut number 0" of each group
    position = np.zeros(len(values), dtype=np.int64)
    probe = np.empty_like(position)
    step = width // 2
    while step >= 1:
        np.add(start, position, out=probe)
        probe += step
        position += step * (np.take(flat, probe) <= values)
        step //= 2
    # The search decides positions 0..width-1; the last cut is compared on its own.
    position += np.take(flat, start + width) <= values
    return np.asarray(np.minimum(position, sizes[group]))  # +inf values pass the +inf padding


def numeric_tests(
    reference: NumericReference, group: np.ndarray, values: np.ndarray, psi_bins: int = 10
) -> NumericTests:
    """KS and PSI of current ``values`` (NaN = null) against each group's reference."""
    groups, width = reference.counts.shape
    null = np.isnan(values)
    nulls = np.bincount(group[null], minlength=groups)
    group, values = group[~null], values[~null]
    bins = grouped_bins(reference.cuts, reference.sizes, group, values)
    current = np.bincount(group * width + bins, minlength=groups * width).reshape(groups, width)
    n_ref, n_cur = reference.counts.sum(axis=1), current.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cdf_ref = np.cumsum(reference.counts, axis=1) / n_ref[:, None]
        cdf_cur = np.cumsum(current, axis=1) / n_cur[:, None]
        ks = np.nan_to_num(np.abs(cdf_ref - cdf_cur).max(axis=1))
    tested = (n_ref > 0) & (n_cur > 0)
    effective = np.where(tested, n_ref * n_cur / np.maximum(n_ref + n_cur, 1), 1.0)
    root = np.sqrt(effective)
    p_value = np.where(tested, special.kolmogorov((root + 0.12 + 0.11 / root) * ks), 1.0)
    psi = _psi(reference.counts, current, n_ref, psi_bins)
    return NumericTests(n_cur, nulls, np.where(tested, ks, 0.0), p_value, psi)


def _psi(reference: np.ndarray, current: np.ndarray, n_ref: np.ndarray, bins: int) -> np.ndarray:
    """PSI over ``bins`` merged bins of about equal reference mass (fine bins are too sparse
    for a few hundred current rows: PSI's bias grows with the number of bins)."""
    groups = reference.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        start = (np.cumsum(reference, axis=1) - reference) / n_ref[:, None]
    merged = np.minimum(np.nan_to_num(start * bins).astype(np.int64), bins - 1)
    index = (np.arange(groups)[:, None] * bins + merged).ravel()
    ref = np.bincount(index, reference.ravel(), minlength=groups * bins).reshape(groups, bins)
    cur = np.bincount(index, current.ravel(), minlength=groups * bins).reshape(groups, bins)
    ref_share = (ref + PSI_SMOOTHING) / (ref.sum(axis=1, keepdims=True) + PSI_SMOOTHING * bins)
    cur_share = (cur + PSI_SMOOTHING) / (cur.sum(axis=1, keepdims=True) + PSI_SMOOTHING * bins)
    psi = ((cur_share - ref_share) * np.log(cur_share / ref_share)).sum(axis=1)
    empty = (ref.sum(axis=1) == 0) | (cur.sum(axis=1) == 0)
    return np.where(empty, 0.0, psi)


def categorical_tests(
    reference: CategoricalReference, group: np.ndarray, codes: np.ndarray
) -> CategoricalTests:
    """Chi-squared and Jensen-Shannon of current vocabulary ``codes`` (NaN, or a code outside
    the vocabulary, is null) against each group's reference counts."""
    groups, width = reference.counts.shape
    known = ~np.isnan(codes) & (codes >= 0) & (codes < width)
    nulls = np.bincount(group[~known], minlength=groups)
    index = group[known] * width + codes[known].astype(np.int64)
    current = np.bincount(index, minlength=groups * width).reshape(groups, width)
    ref = reference.counts
    n_ref, n_cur = ref.sum(axis=1), current.sum(axis=1)
    column = ref + current
    total = n_ref + n_cur
    with np.errstate(invalid="ignore", divide="ignore"):
        expected_ref = column * (n_ref / total)[:, None]
        expected_cur = column * (n_cur / total)[:, None]
        cells = np.where(column > 0, (ref - expected_ref) ** 2 / expected_ref, 0.0) + np.where(
            column > 0, (current - expected_cur) ** 2 / expected_cur, 0.0
        )
    chi2 = np.nan_to_num(cells.sum(axis=1))
    dof = np.count_nonzero(column, axis=1) - 1
    tested = (n_ref > 0) & (n_cur > 0) & (dof > 0)
    p_value = np.where(tested, stats.chi2.sf(chi2, np.maximum(dof, 1)), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        js = distance.jensenshannon(ref, current, axis=1, base=2)
    js = np.where((n_ref > 0) & (n_cur > 0), np.nan_to_num(js), 0.0)
    return CategoricalTests(n_cur, nulls, np.where(tested, chi2, 0.0), p_value, js)


def null_tests(
    ref_rows: np.ndarray, ref_nulls: np.ndarray, cur_rows: np.ndarray, cur_nulls: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(change of the null rate, two-sided p-value of the two-proportion z-test) per group;
    ``*_rows`` count non-null values."""
    n1, n2 = ref_rows + ref_nulls, cur_rows + cur_nulls
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = ref_nulls / n1, cur_nulls / n2
        pooled = (ref_nulls + cur_nulls) / (n1 + n2)
        spread = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = np.abs(p2 - p1) / spread
    tested = (n1 > 0) & (n2 > 0) & (spread > 0)
    change = np.where((n1 > 0) & (n2 > 0), np.nan_to_num(p2 - p1), 0.0)
    return change, np.where(tested, 2 * stats.norm.sf(np.nan_to_num(z)), 1.0)


def adjust(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values: the false discovery rate is controlled over every
    test of the pass, so a 1,000-tenant fleet does not flag features by chance alone."""
    if p_values.size == 0:
        return p_values
    return np.asarray(stats.false_discovery_control(np.clip(p_values, 0.0, 1.0), method="bh"))


def hierarchical_adjust(
    p_values: np.ndarray, family: np.ndarray, families: int, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """(value of each test, adjusted p-value of each family) by Benjamini and Bogomolov's
    procedure (2014), the families being tenants.

    A family's p-value is the Simes combination of its tests; families are selected by
    Benjamini-Hochberg over those at ``alpha``; within a selected family, tests pass BH at
    ``alpha * selected / families``. A test's returned value is below ``alpha`` exactly when it
    passes both (its within-family BH value scaled by ``families / selected``, and never below
    its family's adjusted p-value). This controls the false discovery rate of flagged tenants
    and the average one inside them, so a fleet's size does not raise alarms by chance, while a
    tenant with several real drifts is not drowned by thousands of other tenants' tests, as it
    would be in one flat BH over everything.
    """
    if p_values.size == 0:
        return p_values, np.ones(families)
    order = np.lexsort((p_values, family))
    ranked, owner = np.clip(p_values[order], 0.0, 1.0), family[order]
    sizes = np.bincount(family, minlength=families)
    starts = np.cumsum(sizes) - sizes
    rank = np.arange(ranked.size) - starts[owner] + 1
    terms = np.minimum(ranked * sizes[owner] / rank, 1.0)  # BH's m p_(i) / i: Simes' terms too
    present = sizes > 0
    simes = np.ones(families)
    simes[present] = np.minimum.reduceat(terms, starts[present])
    family_adjusted = adjust(simes)
    selected = int((family_adjusted < alpha).sum())
    within = np.empty_like(terms)
    within[order] = _grouped_reverse_min(terms, owner)
    scaled = within * families / max(selected, 1)
    return np.minimum(np.maximum(scaled, family_adjusted[family]), 1.0), family_adjusted


def _grouped_reverse_min(values: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Within each run of equal ``owner`` (sorted), the minimum of each value and every value
    after it: BH's step-up. Values lie in [0, 1]; an offset of 2 per group keeps groups apart
    in one reversed cumulative minimum."""
    offset = 2.0 * owner.astype(np.float64)
    shifted = (values + offset)[::-1]
    return (np.minimum.accumulate(shifted)[::-1]) - offset


def _flat(parts: Iterable[Sequence[float]], dtype: type) -> np.ndarray:
    """Many short sequences as one array (one list, then one C conversion: the fastest way
    from Python floats to numpy)."""
    return np.array(list(chain.from_iterable(parts)), dtype=dtype)


def _pow2(n: int) -> int:
    """The smallest power of two >= n (0 for 0)."""
    return 0 if n <= 0 else 1 << (n - 1).bit_length()
