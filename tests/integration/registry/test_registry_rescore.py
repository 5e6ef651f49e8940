"""The regression gate compares with the incumbent on the candidate's holdout, with real models.

Each test trains tiny LightGBM models on a known rule, stores them with their metadata and
holdouts in a local artifact store, and registers them. Recorded metrics are set to mislead on
purpose (standing for scores measured on some other holdout), so only a real re-score on the
same rows gives the right verdict.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelfleet.artifacts import open_artifact_store
from modelfleet.registry import PromotionOutcome, Registry, StepRule
from modelfleet.registry.rescore import compare_on_holdout
from modelfleet.store import open_store

from .conftest import (
    MODEL_SIGNATURE,
    WIDER,
    build_run,
    holdout_rows,
    policy,
    ticking_clock,
    trained_run,
)

NS = ("north", "south")
RULES = policy(prod=StepRule(max_regression=0.1))


@pytest.fixture
def registry() -> Iterator[Registry]:
    """One backend is enough here: these tests are about scoring, not storage."""
    with Registry(open_store("sqlite://"), clock=ticking_clock()) as opened:
        yield opened


def into_prod(registry: Registry, candidate: str = "1.1.0") -> None:
    """Put 1.0.0 in prod, then the candidate in staging."""
    registry.set_alias("demand/s1", "prod", "1.0.0", caller="a", reason="")
    registry.set_alias("demand/s1", "staging", candidate, caller="a", reason="")


def promote(registry: Registry) -> PromotionOutcome:
    return registry.promote("demand/s1", "prod", policy=RULES, caller="a")


def test_a_candidate_worse_on_the_same_holdout_is_refused(
    registry: Registry, tmp_path: Path
) -> None:
    holdout = holdout_rows()
    # The incumbent is good but its recorded score (from an older holdout) looks bad.
    good = trained_run(tmp_path, "s1", slope=2.0, vocab=NS, holdout=holdout, recorded_wmape=0.9)
    bad = trained_run(tmp_path, "s1", slope=-1.0, vocab=NS, holdout=holdout)
    registry.register(good, caller="a")
    registry.register(bad, caller="a")
    into_prod(registry)

    outcome = promote(registry)

    assert not outcome.moved
    assert "1.0.0 re-scored on 1.1.0's holdout, 60 rows" in outcome.reason
    assert "worse" in outcome.reason


def test_a_candidate_better_on_the_same_holdout_moves(registry: Registry, tmp_path: Path) -> None:
    holdout = holdout_rows()
    # The incumbent is bad but its recorded score looks excellent.
    bad = trained_run(tmp_path, "s1", slope=-1.0, vocab=NS, holdout=holdout, recorded_wmape=0.001)
    good = trained_run(tmp_path, "s1", slope=2.0, vocab=NS, holdout=holdout)
    registry.register(bad, caller="a")
    registry.register(good, caller="a")
    into_prod(registry)

    outcome = promote(registry)

    assert outcome.moved, outcome.reason
    assert "better (1.0.0 re-scored on 1.1.0's holdout" in outcome.reason


def test_differing_signatures_fall_back_to_recorded_metrics_and_say_so(
    registry: Registry, tmp_path: Path
) -> None:
    registry.register(build_run("s1", wmape=0.001), WIDER, caller="a")
    registry.register(
        trained_run(tmp_path, "s1", slope=2.0, vocab=NS, holdout=holdout_rows()), caller="a"
    )
    into_prod(registry, candidate="2.0.0")

    outcome = promote(registry)

    assert not outcome.moved
    assert "signatures differ" in outcome.reason
    assert "compared recorded metrics" in outcome.reason


def test_an_incumbent_that_cannot_be_loaded_refuses_instead_of_crashing(
    registry: Registry, tmp_path: Path
) -> None:
    registry.register(build_run("s1"), MODEL_SIGNATURE, caller="a")  # no bytes behind it
    registry.register(
        trained_run(tmp_path, "s1", slope=2.0, vocab=NS, holdout=holdout_rows()), caller="a"
    )
    into_prod(registry)

    outcome = promote(registry)

    assert not outcome.moved
    assert "could not score 1.0.0 on the same holdout" in outcome.reason


def test_category_codes_are_remapped_to_the_incumbents_vocabulary(
    registry: Registry, tmp_path: Path
) -> None:
    holdout = holdout_rows()  # north and south rows, coded 0 and 1 by the candidate
    incumbent_run = trained_run(
        tmp_path, "s1", slope=2.0, vocab=("east", "north", "south"), holdout=holdout
    )
    incumbent = registry.register(incumbent_run, caller="a")
    candidate = registry.register(
        trained_run(tmp_path, "s1", slope=2.0, vocab=NS, holdout=holdout), caller="a"
    )
    store = open_artifact_store(str(tmp_path))

    comparison = compare_on_holdout(
        lambda digest, _uri: store.get_bytes(digest), candidate, incumbent, "wmape"
    )

    # Read with the candidate's codes, north (0) would be "east" to the incumbent: ~50% off.
    assert comparison.incumbent_score == pytest.approx(incumbent_run.metrics["wmape"])
    assert comparison.incumbent_score < 0.05


def test_an_incumbent_saved_before_packages_is_still_rescored(
    registry: Registry, tmp_path: Path
) -> None:
    holdout = holdout_rows()
    # Old layout: model bytes behind a JSON header, model_meta without format_version.
    good = trained_run(
        tmp_path,
        "s1",
        slope=2.0,
        vocab=("east", "north", "south"),
        holdout=holdout,
        recorded_wmape=0.9,
        legacy_meta=True,
    )
    bad = trained_run(tmp_path, "s1", slope=-1.0, vocab=NS, holdout=holdout)
    registry.register(good, caller="a")
    registry.register(bad, caller="a")
    into_prod(registry)

    outcome = promote(registry)

    assert not outcome.moved
    assert "1.0.0 re-scored on 1.1.0's holdout, 60 rows" in outcome.reason
