"""The ``serving:`` block: how a tenant's traffic splits between its champion and a challenger.

Declared once per fleet, overridden per environment by the ``environments`` overlays (e.g.
``environments: {prod: {serving: {routing: {mode: canary, share: 0.05}}}}``):

* ``champion`` (default): every request is answered by the environment's own alias;
* ``ab``: a share of requests (default half) is answered by the ``challenger`` alias;
* ``canary``: the same with a small share (default 5%);
* ``shadow``: the champion answers every request; the challenger scores it too, and its
  predictions are only logged (arm ``shadow``), never returned.

Assignment is sticky: a request's routing key (the ``X-Routing-Key`` header, else its request
id) hashes to the same arm every time, across restarts and server processes.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from modelfleet.config.base import Strict

RoutingMode = Literal["champion", "ab", "canary", "shadow"]
DEFAULT_SHARE: dict[str, float] = {"champion": 0.0, "ab": 0.5, "canary": 0.05, "shadow": 0.0}
_ALIAS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class RoutingSpec(Strict):
    """Which alias answers a tenant's requests, and the challenger's share."""

    mode: RoutingMode = "champion"
    challenger: str = Field(default="challenger", description="alias of the challenger version")
    share: Annotated[float, Field(ge=0.0, le=1.0)] | None = Field(
        default=None, description="share of requests the challenger answers (ab, canary)"
    )

    @field_validator("challenger")
    @classmethod
    def _alias(cls, value: str) -> str:
        if not _ALIAS.fullmatch(value):
            raise ValueError(
                f"{value!r} is not an alias: letters, digits, '.', '_' or '-' (e.g. challenger)"
            )
        return value

    @property
    def challenger_share(self) -> float:
        """The share of requests the challenger answers (0 for champion and shadow)."""
        if self.mode in ("champion", "shadow"):
            return 0.0
        return DEFAULT_SHARE[self.mode] if self.share is None else self.share


class ServingSpec(Strict):
    """How the prediction server routes this fleet's requests."""

    routing: RoutingSpec = RoutingSpec()
