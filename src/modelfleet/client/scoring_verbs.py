"""The client's scoring verbs (predict, forecast, batch files), as a part of :class:`Client`.

Kept apart from the registry verbs: they run in this process on a local home (the prediction
server's own code) or post to a prediction server, and never go through the control plane.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelfleet.client.local import LocalPlane
from modelfleet.client.plane import Plane
from modelfleet.client.scoring import HttpScoring, LocalScoring
from modelfleet.config.specs import SpecLike, load_spec_like
from modelfleet.data.batch import BatchLocation
from modelfleet.errors import UsageError
from modelfleet.scoring import Prediction

if TYPE_CHECKING:
    from modelfleet.scoring.batch import BatchResult


class ScoringVerbs:
    """predict, forecast and score_file, for a client with a ``plane``."""

    plane: Plane
    _scoring: LocalScoring | None

    def _local(self, verb: str) -> LocalPlane:
        raise NotImplementedError  # the Client's own

    def predict(
        self,
        model: str,
        records: Sequence[Mapping[str, Any]],
        *,
        environment: str = "prod",
        explain: bool = False,
    ) -> Prediction:
        """Score records with ``model``'s (``fleet/tenant``) version in ``environment``.

        Locally, with the home's stores (the prediction server's own code); over HTTP, by the
        prediction server (``modelfleet serve``) this client is connected to.
        """
        if isinstance(self.plane, LocalPlane):
            return self._local_scoring().predict(model, records, environment, explain)
        return self._http_scoring().predict(model, records, explain)

    def forecast(
        self,
        model: str,
        *,
        spec: SpecLike | None = None,
        environment: str = "prod",
        horizon: int | None = None,
        records: Sequence[Mapping[str, Any]] = (),
        explain: bool = False,
    ) -> Prediction:
        """Forecast dates (``records`` with covariates known ahead) or the next ``horizon``.

        Locally the fleet's ``spec`` is needed (how features are built); a prediction server
        has its own.
        """
        if isinstance(self.plane, LocalPlane):
            loaded = load_spec_like(spec)
            if loaded is None:
                raise UsageError("forecast on a local home needs the fleet's spec: spec=...")
            local = self._local_scoring()
            return local.forecast(model, loaded, environment, horizon, records, explain)
        return self._http_scoring().forecast(model, horizon, records, explain)

    def score_file(
        self,
        spec: SpecLike,
        path: str | Path | BatchLocation,
        *,
        environment: str = "prod",
        source: str | None = None,
        advance: Callable[[str], None] = lambda tenant: None,
    ) -> tuple[BatchResult, int]:
        """Batch-score rows to forecast, read with the fleet's source mapping: a file, or a
        ``BatchLocation(query=..., url=...)`` for rows a SQL query returns.

        Returns the scored rows with the tenants that failed (and why), and how many tenants
        the input held; ``advance`` is called after each tenant (for progress).
        """
        loaded = load_spec_like(spec)
        assert loaded is not None
        scoring = self._local_scoring()
        return scoring.score_file(loaded, BatchLocation.of(path), environment, source, advance)

    def _local_scoring(self) -> LocalScoring:
        if self._scoring is None:
            self._scoring = LocalScoring(self._local("predict"))
        assert isinstance(self._scoring, LocalScoring)
        return self._scoring

    def _http_scoring(self) -> HttpScoring:
        from modelfleet.client.http import HttpPlane

        assert isinstance(self.plane, HttpPlane)
        return HttpScoring(self.plane)
