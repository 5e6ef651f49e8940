"""The BentoML arm's service: one LightGBM booster behind a BentoML 1.4 ``@bentoml.api``.

Runs in the BentoML venv only (``bentoml serve _bento_service:Booster``, started by
``_serving_bento``); the booster's text file comes from ``MODELFLEET_BENCH_BOOSTER``. The body
is what a BentoML user sends for a numeric model: ``{"rows": [[...], ...]}``, the already
encoded feature rows, ``null`` for a missing value.
"""

from __future__ import annotations

import os

import bentoml
import lightgbm as lgb
import numpy as np

BOOSTER_ENV = "MODELFLEET_BENCH_BOOSTER"


@bentoml.service(
    workers=1,
    # As the other servers at log level warning: no line per request.
    logging={"access": {"enabled": False}},
    # Sampling is 0 by default (no spans kept, no exporter); excluding the route skips the
    # OpenTelemetry middleware's per-request work as well.
    tracing={"sample_rate": 0.0, "excluded_urls": ["/predict"]},
)
class Booster:
    """The first tenant's booster, loaded once at start."""

    def __init__(self) -> None:
        self.booster = lgb.Booster(model_file=os.environ[BOOSTER_ENV])

    @bentoml.api
    def predict(self, rows: list[list[float | None]]) -> list[float]:
        """Predictions for the rows, in order."""
        matrix = np.array(rows, dtype=np.float64)  # None becomes NaN
        return list(np.asarray(self.booster.predict(matrix)).tolist())
