"""Rollout verdicts: pairing by date across versions, and the paired Wilcoxon test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from modelfleet.monitoring.autopilot.canary import PairedErrors, paired_errors, paired_verdict

DAY0 = datetime(2026, 11, 1, tzinfo=UTC)


def logged(rows: list[tuple[str, str, int, float | None, float]]) -> pa.Table:
    """(tenant, version, day, prediction, actual) rows as the joined log."""
    return pa.table(
        {
            "tenant": [r[0] for r in rows],
            "version": [r[1] for r in rows],
            "ts": pa.array([DAY0 + timedelta(days=r[2]) for r in rows], pa.timestamp("us", "UTC")),
            "prediction": pa.array([r[3] for r in rows], pa.float64()),
            "actual": [r[4] for r in rows],
        }
    )


def errors(champion: np.ndarray, challenger: np.ndarray) -> PairedErrors:
    return PairedErrors(champion, challenger, np.full(len(champion), 100.0))


def test_only_dates_both_versions_forecast_are_paired() -> None:
    table = logged(
        [
            ("a", "1.0.0", 0, 90.0, 100.0),
            ("a", "2.0.0", 0, 98.0, 100.0),
            ("a", "1.0.0", 1, 90.0, 100.0),  # the challenger never forecast day 1
        ]
    )

    found = paired_errors(table, {"a": "1.0.0"}, {"a": "2.0.0"})

    assert found["a"].champion.tolist() == [10.0]
    assert found["a"].challenger.tolist() == [2.0]


def test_a_date_forecast_several_times_counts_once_with_its_mean() -> None:
    table = logged(
        [
            ("a", "1.0.0", 0, 80.0, 100.0),
            ("a", "1.0.0", 0, 100.0, 100.0),
            ("a", "2.0.0", 0, 95.0, 100.0),
        ]
    )

    found = paired_errors(table, {"a": "1.0.0"}, {"a": "2.0.0"})

    assert found["a"].champion.tolist() == [10.0]


def test_tenants_are_paired_each_with_their_own_versions() -> None:
    table = logged(
        [
            ("a", "1.0.0", 0, 90.0, 100.0),
            ("a", "2.0.0", 0, 99.0, 100.0),
            ("b", "1.0.0", 0, 50.0, 100.0),  # b's champion is 3.0.0: this row is not b's
            ("b", "3.0.0", 0, 70.0, 100.0),
            ("b", "4.0.0", 0, 80.0, 100.0),
        ]
    )

    found = paired_errors(table, {"a": "1.0.0", "b": "3.0.0"}, {"a": "2.0.0", "b": "4.0.0"})

    assert sorted(found) == ["a", "b"]
    assert found["b"].champion.tolist() == [30.0] and found["b"].challenger.tolist() == [20.0]


def test_a_logged_prediction_without_a_value_is_left_out() -> None:
    table = logged([("a", "1.0.0", 0, None, 100.0), ("a", "2.0.0", 0, 99.0, 100.0)])

    assert paired_errors(table, {"a": "1.0.0"}, {"a": "2.0.0"}) == {}


def test_a_clearly_smaller_challenger_error_is_better() -> None:
    rng = np.random.default_rng(1)
    verdict = paired_verdict(
        errors(rng.uniform(5, 15, 50), rng.uniform(0, 5, 50)), min_pairs=30, alpha=0.05
    )

    assert verdict.outcome == "better" and verdict.p_value is not None and verdict.p_value < 0.05
    assert verdict.challenger_wmape < verdict.champion_wmape


def test_a_clearly_larger_challenger_error_is_worse() -> None:
    rng = np.random.default_rng(2)
    verdict = paired_verdict(
        errors(rng.uniform(0, 5, 50), rng.uniform(5, 15, 50)), min_pairs=30, alpha=0.05
    )

    assert verdict.outcome == "worse"


def test_equal_models_are_undecided_in_most_seeds() -> None:
    undecided = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        same = paired_verdict(
            errors(rng.uniform(0, 10, 60), rng.uniform(0, 10, 60)), min_pairs=30, alpha=0.05
        )
        undecided += same.outcome == "undecided"

    assert undecided >= 34  # about 95% at alpha 0.05


def test_fewer_pairs_than_the_minimum_give_no_verdict() -> None:
    verdict = paired_verdict(errors(np.ones(10) * 9, np.zeros(10)), min_pairs=30, alpha=0.05)

    assert (verdict.outcome, verdict.pairs, verdict.p_value) == ("too_few", 10, None)


def test_identical_errors_on_every_date_are_undecided() -> None:
    verdict = paired_verdict(errors(np.ones(40), np.ones(40)), min_pairs=30, alpha=0.05)

    assert (verdict.outcome, verdict.p_value) == ("undecided", 1.0)


@pytest.mark.parametrize("outcome", ["better", "too_few"])
def test_the_description_states_the_pairs(outcome: str) -> None:
    pairs = 40 if outcome == "better" else 3
    verdict = paired_verdict(
        errors(np.linspace(5, 9, pairs), np.linspace(0, 1, pairs)), min_pairs=30, alpha=0.05
    )

    assert verdict.outcome == outcome and str(pairs) in verdict.describe()
