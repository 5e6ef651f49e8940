"""Routing decisions: sticky per key, proportions as asked, salted per model."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from modelfleet.config.serving_blocks import RoutingSpec
from modelfleet.scoring.routing import decide, key_position

KEYS = [f"user-{number}" for number in range(20_000)]


def _challenger_share(routing: RoutingSpec, model: str = "f/t") -> float:
    arms = [decide(routing, key, model).arm for key in KEYS]
    return arms.count("challenger") / len(arms)


@pytest.mark.parametrize(
    ("mode", "share", "expected"),
    [("ab", None, 0.5), ("canary", None, 0.05), ("ab", 0.2, 0.2), ("canary", 0.01, 0.01)],
)
def test_the_challenger_answers_its_share_of_keys(
    mode: str, share: float | None, expected: float
) -> None:
    routing = RoutingSpec.model_validate({"mode": mode, "share": share})

    assert _challenger_share(routing) == pytest.approx(expected, abs=0.01)


def test_the_same_key_always_gets_the_same_arm() -> None:
    routing = RoutingSpec(mode="ab")

    first = [decide(routing, key, "f/t").arm for key in KEYS[:500]]
    again = [decide(routing, key, "f/t").arm for key in KEYS[:500]]

    assert first == again


def test_a_key_position_is_the_same_in_another_process_with_another_hash_seed() -> None:
    # Python's hash() of a str changes with PYTHONHASHSEED; the routing must not.
    code = (
        "from modelfleet.scoring.routing import key_position; print(key_position('user-1', 'f/t'))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        capture_output=True,
        text=True,
        check=True,
    )

    assert float(other.stdout) == key_position("user-1", "f/t")


def test_assignments_of_different_tenants_are_independent() -> None:
    routing = RoutingSpec(mode="ab")
    one = [decide(routing, key, "f/1").arm for key in KEYS[:2000]]
    two = [decide(routing, key, "f/2").arm for key in KEYS[:2000]]

    same = sum(a == b for a, b in zip(one, two, strict=True)) / len(one)
    assert same == pytest.approx(0.5, abs=0.05)


def test_champion_mode_never_routes_to_the_challenger() -> None:
    assert _challenger_share(RoutingSpec(mode="champion", share=0.9)) == 0.0


def test_shadow_mode_answers_with_the_champion_and_scores_the_challenger_too() -> None:
    decision = decide(RoutingSpec(mode="shadow"), "anyone", "f/t")

    assert (decision.arm, decision.shadow) == ("champion", True)


@pytest.mark.parametrize(
    "block",
    [
        {"mode": "blue-green"},
        {"share": 1.5},
        {"share": -0.1},
        {"challenger": "../x"},
        {"weight": 1},
    ],
)
def test_a_bad_routing_block_is_refused(block: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RoutingSpec.model_validate(block)
