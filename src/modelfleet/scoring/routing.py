"""Which arm answers a request: pure, sticky, and the same in every server process.

A request's routing key hashes (BLAKE2b, so no process-seeded ``hash()``) to a number in
[0, 1); below the challenger's share the challenger answers. The same key always lands in the
same arm, across restarts and workers, and the keys of many users split in the share asked for.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from modelfleet.config.serving_blocks import RoutingSpec

Arm = Literal["champion", "challenger"]
_SCALE = float(1 << 64)


def key_position(key: str, salt: str = "") -> float:
    """Where ``key`` falls in [0, 1): uniform over keys, fixed for each key."""
    digest = hashlib.blake2b(f"{salt}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


@dataclass(frozen=True)
class Decision:
    """The arm that answers, and whether the challenger also scores in the shadow."""

    arm: Arm
    shadow: bool


def decide(routing: RoutingSpec, key: str, model: str) -> Decision:
    """The arm for ``key`` on ``model`` under ``routing`` (salted by model, so one user is not
    in the challenger arm of every tenant at once)."""
    if routing.mode == "shadow":
        return Decision("champion", shadow=True)
    share = routing.challenger_share
    if share > 0 and key_position(key, model) < share:
        return Decision("challenger", shadow=False)
    return Decision("champion", shadow=False)
