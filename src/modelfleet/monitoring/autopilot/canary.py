"""The rollout verdict: is the challenger better than the champion on logged outcomes?

For each tenant with a rollout, the dates that have an actual and a forecast from *both*
versions are paired (a version that forecast a date several times counts with its mean), and
the absolute errors are compared date by date: ``d = |challenger - actual| - |champion -
actual|``. The Wilcoxon signed-rank test (two-sided, zero differences dropped) says whether
``d`` is centred away from zero; the verdict is **better** when ``p < alpha`` and the median
difference is negative, **worse** when ``p < alpha`` and it is positive, **undecided**
otherwise, and **too few** below ``min_pairs`` pairs. The test is rerun at every pass, so over
``k`` passes the chance of a wrong "better" is bounded by ``k * alpha`` (Bonferroni): choose
``alpha`` and the cadence together. Pairing is vectorised over all tenants (Arrow group-bys
and one join); only the test runs per tenant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats

Outcome = Literal["better", "worse", "undecided", "too_few"]


@dataclass(frozen=True)
class PairedVerdict:
    """One tenant's rollout figures and verdict."""

    pairs: int
    champion_wmape: float
    challenger_wmape: float
    median_difference: float  # median of |e_challenger| - |e_champion|; negative: better
    p_value: float | None
    outcome: Outcome

    def describe(self) -> str:
        """One sentence with the figures, for events and tables."""
        if self.outcome == "too_few":
            return f"{self.pairs} paired outcome(s) so far"
        p = "n/a" if self.p_value is None else f"{self.p_value:.3g}"
        return (
            f"{self.pairs} paired outcomes: WMAPE {self.challenger_wmape:.4g} (challenger) vs "
            f"{self.champion_wmape:.4g} (champion), median |error| difference "
            f"{self.median_difference:+.4g}, Wilcoxon p={p}"
        )

    def figures(self) -> dict[str, float | int | str | None]:
        """The figures as a flat mapping (for the action record)."""
        return {
            "pairs": self.pairs,
            "champion_wmape": self.champion_wmape,
            "challenger_wmape": self.challenger_wmape,
            "median_difference": self.median_difference,
            "p_value": self.p_value,
            "outcome": self.outcome,
        }


@dataclass(frozen=True)
class PairedErrors:
    """One tenant's paired dates: each version's absolute error and the actual's magnitude."""

    champion: np.ndarray
    challenger: np.ndarray
    actual: np.ndarray


def paired_errors(
    joined: pa.Table, champion: Mapping[str, str], challenger: Mapping[str, str]
) -> dict[str, PairedErrors]:
    """Per tenant, the dates both its champion and challenger versions forecast, with actuals.

    ``joined`` has columns tenant, version, ts, prediction, actual (one row per logged
    prediction); ``champion`` and ``challenger`` map a tenant to its version of each role.
    """
    joined = joined.filter(pc.is_valid(joined["prediction"]))
    means = joined.group_by(["tenant", "version", "ts"]).aggregate(
        [("prediction", "mean"), ("actual", "mean")]
    )

    def role(versions: Mapping[str, str], name: str) -> pa.Table:
        keys = pa.table(
            {"tenant": list(versions), "version": list(versions.values())},
            schema=pa.schema([("tenant", pa.string()), ("version", pa.string())]),
        )
        picked = means.join(keys, ["tenant", "version"], join_type="inner")
        return picked.select(["tenant", "ts", "prediction_mean", "actual_mean"]).rename_columns(
            ["tenant", "ts", name, f"actual_{name}"]
        )

    pairs = role(champion, "champion").join(
        role(challenger, "challenger").drop_columns(["actual_challenger"]),
        ["tenant", "ts"],
        join_type="inner",
    )
    if pairs.num_rows == 0:
        return {}
    pairs = pairs.sort_by([("tenant", "ascending"), ("ts", "ascending")])
    tenants = pairs["tenant"].to_numpy(zero_copy_only=False)
    actual = pairs["actual_champion"].to_numpy()
    champ = np.abs(pairs["champion"].to_numpy() - actual)
    chall = np.abs(pairs["challenger"].to_numpy() - actual)
    names, starts = np.unique(tenants, return_index=True)
    ends = [*starts[1:], len(tenants)]
    return {
        str(name): PairedErrors(champ[a:b], chall[a:b], np.abs(actual[a:b]))
        for name, a, b in zip(names, starts, ends, strict=True)
    }


def paired_verdict(errors: PairedErrors, *, min_pairs: int, alpha: float) -> PairedVerdict:
    """The rollout verdict for one tenant's paired errors (see the module text)."""
    n = len(errors.champion)
    scale = float(errors.actual.sum())
    champion_wmape = float(errors.champion.sum()) / scale if scale > 0 else math.nan
    challenger_wmape = float(errors.challenger.sum()) / scale if scale > 0 else math.nan
    difference = errors.challenger - errors.champion
    median = float(np.median(difference)) if n else math.nan
    if n < min_pairs:
        return PairedVerdict(n, champion_wmape, challenger_wmape, median, None, "too_few")
    if not np.any(difference != 0):  # identical errors on every date: no evidence either way
        return PairedVerdict(n, champion_wmape, challenger_wmape, median, 1.0, "undecided")
    p_value = float(stats.wilcoxon(difference, zero_method="wilcox").pvalue)
    centre = median if median != 0 else float(np.mean(difference))
    outcome: Outcome = "undecided"
    if p_value < alpha:
        outcome = "better" if centre < 0 else "worse"
    return PairedVerdict(n, champion_wmape, challenger_wmape, median, p_value, outcome)
