"""The client's scoring verbs: ``predict`` and ``forecast``, in this process or over HTTP.

On a local home the client scores with :class:`~modelfleet.scoring.Scorer` over the home's
stores (the same code the prediction server runs); over HTTP it posts to a prediction server
(``modelfleet serve``) and reads its answer back into the same :class:`Prediction` record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.config.spec import FleetSpec
from modelfleet.data.canonical import TENANT_COLUMN
from modelfleet.errors import UsageError
from modelfleet.registry.refs import split_model
from modelfleet.scoring import Prediction, Scorer
from modelfleet.scoring.explain import Explanation
from modelfleet.wire.scoring import PredictOut

if TYPE_CHECKING:
    from modelfleet.client.http import HttpPlane
    from modelfleet.client.local import LocalPlane
    from modelfleet.data.batch import BatchLocation
    from modelfleet.features.online.base import OnlineStore
    from modelfleet.scoring.batch import BatchResult


class LocalScoring:
    """Scoring over a local plane's stores, opened on first use."""

    def __init__(self, plane: LocalPlane) -> None:
        self._plane = plane
        self._scorer: Scorer | None = None
        self._online: OnlineStore | None = None

    def _ready(self) -> Scorer:
        if self._scorer is None:
            from modelfleet.registry.reads import ArtifactStores

            settings = self._plane.settings
            store = self._plane.metadata_store()
            self._scorer = Scorer(store, ArtifactStores(settings.artifacts_url))
        return self._scorer

    def predict(
        self, model: str, records: Sequence[Any], environment: str, explain: bool
    ) -> Prediction:
        fleet, tenant = split_model(model)
        return self._ready().predict(fleet, tenant, environment, records, explain=explain)

    def forecast(
        self,
        model: str,
        spec: FleetSpec,
        environment: str,
        horizon: int | None,
        records: Sequence[Any],
        explain: bool,
    ) -> Prediction:
        from modelfleet.features.online.backends import open_online_store
        from modelfleet.scoring.forecaster import forecast

        fleet, tenant = split_model(model)
        if fleet != spec.name:
            raise UsageError(
                f"model {model} is not of fleet {spec.name!r}, whose spec was given; pass the "
                f"spec of fleet {fleet!r}"
            )
        if self._online is None:
            self._online = open_online_store(self._plane.settings.online_url)
        return forecast(
            self._ready(),
            self._online,
            spec,
            tenant,
            environment,
            horizon=horizon,
            records=records,
            explain=explain,
        )

    def score_file(
        self,
        spec: FleetSpec,
        path: Path | BatchLocation,
        environment: str,
        source: str | None,
        advance: Callable[[str], None],
    ) -> tuple[BatchResult, int]:
        """Score every tenant's rows of ``path``: the result and how many tenants it held."""
        from modelfleet.data.batch import read_batch
        from modelfleet.features.online.backends import open_online_store
        from modelfleet.scoring.batch import score_batch
        from modelfleet.scoring.log import PredictionLog

        batch = read_batch(spec, path, source)
        if self._online is None:
            self._online = open_online_store(self._plane.settings.online_url)
        bad = pa.array(sorted(batch.failed), pa.string())
        table = batch.table.filter(pc.invert(pc.is_in(batch.table[TENANT_COLUMN], bad)))
        log = PredictionLog(self._plane.metadata_store())
        try:
            result = score_batch(
                self._ready(), self._online, spec, environment, table, log=log, advance=advance
            )
        finally:
            log.close()
        result.failed.update(batch.failed)
        tenants = len(pc.unique(batch.table[TENANT_COLUMN]))
        return result, tenants

    def close(self) -> None:
        if self._online is not None:
            self._online.close()
            self._online = None
        self._scorer = None


def prediction_of(answer: PredictOut) -> Prediction:
    """The record of a prediction server's answer."""
    rows = answer.predictions
    explanation = None
    if answer.explanation_method is not None and rows and rows[0].explanation is not None:
        names = tuple(rows[0].explanation.contributions)
        explanation = Explanation(
            method=answer.explanation_method,
            scale=answer.explanation_scale or "prediction",
            names=names,
            base=np.array([_number(r.explanation.base if r.explanation else None) for r in rows]),
            contributions=np.array(
                [
                    [_number(r.explanation.contributions.get(n)) for n in names]
                    if r.explanation
                    else [np.nan] * len(names)
                    for r in rows
                ]
            ).reshape(len(rows), len(names)),
        )
    return Prediction(
        request_id=answer.request_id,
        model=answer.model,
        version=answer.version,
        environment=answer.environment,
        arm=answer.arm,
        timestamps=np.array([r.timestamp for r in rows], dtype="datetime64[ns]"),
        values=np.array([_number(r.value) for r in rows], dtype=np.float64),
        seconds=0.0,
        explanation=explanation,
    )


def _number(value: float | None) -> float:
    return float("nan") if value is None else float(value)


class HttpScoring:
    """Scoring by a prediction server (``modelfleet serve``) at the plane's URL."""

    def __init__(self, plane: HttpPlane) -> None:
        self._plane = plane

    def _post(self, model: str, route: str, body: dict[str, Any], explain: bool) -> Prediction:
        fleet, tenant = split_model(model)
        path = f"/v1/fleets/{fleet}/tenants/{tenant}/{route}"
        response = self._plane.post_json(path, body, params={"explain": "true"} if explain else {})
        return prediction_of(self._plane.read_shape(PredictOut, response))

    def predict(self, model: str, records: Sequence[Any], explain: bool) -> Prediction:
        return self._post(model, "predict", {"records": list(records)}, explain)

    def forecast(
        self, model: str, horizon: int | None, records: Sequence[Any], explain: bool
    ) -> Prediction:
        body: dict[str, Any] = {"horizon": horizon} if horizon is not None else {}
        if records:
            body["records"] = list(records)
        return self._post(model, "forecast", body, explain)
