"""Forecasts for a tenant: its stored recent rows, the asked dates, the served version.

The one path behind the server's ``forecast`` route (and the client's ``forecast`` verb): the
online store holds each registered tenant's recent rows (written by ``train``), the fleet spec
says how features are built, and :class:`~modelfleet.scoring.service.Scorer` picks, loads and
applies the environment's version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from modelfleet.config.spec import FleetSpec
from modelfleet.errors import NotFoundError
from modelfleet.features.history import read_history
from modelfleet.features.online.base import OnlineStore
from modelfleet.registry.records import ModelVersion
from modelfleet.scoring.forecast import forecast_rows
from modelfleet.scoring.service import Prediction, Scorer
from modelfleet.training.package import ModelPackage


def forecast(
    scorer: Scorer,
    online: OnlineStore,
    spec: FleetSpec,
    tenant: str,
    environment: str,
    *,
    horizon: int | None = None,
    records: Sequence[Any] = (),
    request_id: str | None = None,
    explain: bool = False,
    alias: str | None = None,
    arm: str = "champion",
) -> Prediction:
    """One prediction per asked date (``records`` with covariates, or the next ``horizon``)."""
    found = read_history(online, spec.name, [tenant])
    if tenant not in found:
        raise NotFoundError(
            f"no recent history of {spec.name}/{tenant} in the online store: `modelfleet train` "
            "keeps it for every tenant it registers; train the tenant (again) with this "
            "online store (MODELFLEET_ONLINE_URL)"
        )
    history = found[tenant]

    def rows(package: ModelPackage, version: ModelVersion) -> tuple[pa.Table, np.ndarray]:
        built = forecast_rows(
            spec,
            tenant,
            history,
            frequency=package.meta.frequency,
            horizon=horizon,
            records=records,
            feature_columns=package.meta.feature_columns,
        )
        return built.table, built.timestamps

    return scorer.score(
        spec.name, tenant, environment, rows, request_id, explain=explain, alias=alias, arm=arm
    )
