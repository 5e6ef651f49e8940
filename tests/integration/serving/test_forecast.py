"""Forecasts from the stored history: equal to training's holdout predictions, bad dates named."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from modelfleet.config.spec import FleetSpec, load_spec
from modelfleet.errors import InputError, NotFoundError
from modelfleet.features.online.backends import open_online_store
from modelfleet.features.online.base import OnlineStore
from modelfleet.registry.reads import ArtifactStores
from modelfleet.scoring import Scorer
from modelfleet.scoring.forecaster import forecast
from modelfleet.training.metrics import compute_metrics

from .conftest import Served

COVARIATES = ("promo", "open", "holiday")


@pytest.fixture(scope="module")
def spec(served: Served) -> FleetSpec:
    return load_spec(served.demo.spec_path, "dev")


@pytest.fixture(scope="module")
def online(served: Served) -> Iterator[OnlineStore]:
    store = open_online_store(served.client.settings.online_url)
    yield store
    store.close()


@pytest.fixture(scope="module")
def scorer(served: Served) -> Scorer:
    return Scorer(served.client_store, ArtifactStores(served.client.settings.artifacts_url))


def _dated(holdout: Any) -> list[dict[str, Any]]:
    """The holdout's dates with only the covariates known ahead (no features, no target)."""
    return [{"date": r["date"], **{c: r[c] for c in COVARIATES}} for r in holdout.records]


def test_a_forecast_of_the_holdout_dates_reproduces_each_versions_recorded_metrics(
    served: Served, spec: FleetSpec, online: OnlineStore, scorer: Scorer, holdout_of: Any
) -> None:
    for tenant in served.tenants:
        version = served.client.resolve(f"{served.fleet}/{tenant}@dev")
        holdout = holdout_of(served.client, version)

        answer = forecast(scorer, online, spec, tenant, "dev", records=_dated(holdout))

        again = compute_metrics("regression", holdout.actuals, answer.values)
        assert again == pytest.approx(dict(version.metrics), rel=1e-9), tenant


def test_a_horizon_forecast_needs_the_covariates_known_ahead(
    served: Served, spec: FleetSpec, online: OnlineStore, scorer: Scorer
) -> None:
    with pytest.raises(InputError, match="promo is known ahead"):
        forecast(scorer, online, spec, served.tenants[0], "dev", horizon=7)


def test_dates_past_the_latest_target_plus_the_horizon_are_refused_with_the_range(
    served: Served, spec: FleetSpec, online: OnlineStore, scorer: Scorer, holdout_of: Any
) -> None:
    tenant = served.tenants[0]
    version = served.client.resolve(f"{served.fleet}/{tenant}@dev")
    last = np.datetime64(holdout_of(served.client, version).records[-1]["date"], "D")
    far = {"date": str(last + 60), "promo": 0, "open": 1, "holiday": 0}

    with pytest.raises(InputError, match="beyond what can be forecast") as caught:
        forecast(scorer, online, spec, tenant, "dev", records=[far])

    assert str(last + spec.validation.horizon) in caught.value.message


def test_an_unknown_covariate_is_refused_by_name(
    served: Served, spec: FleetSpec, online: OnlineStore, scorer: Scorer, holdout_of: Any
) -> None:
    tenant = served.tenants[0]
    version = served.client.resolve(f"{served.fleet}/{tenant}@dev")
    record = {**_dated(holdout_of(served.client, version))[0], "promotion": 1}

    with pytest.raises(InputError) as caught:
        forecast(scorer, online, spec, tenant, "dev", records=[record])

    assert ("records", 0, "promotion") in [loc for loc, _, _ in caught.value.fields]


def test_a_tenant_without_stored_history_is_not_found_with_what_to_do(
    spec: FleetSpec, online: OnlineStore, scorer: Scorer
) -> None:
    with pytest.raises(NotFoundError, match="modelfleet train"):
        forecast(scorer, online, spec, "no-such-store", "dev", horizon=1)


def test_the_forecast_route_answers_the_holdout_dates_like_training(
    served: Served, path_of: Any, holdout_of: Any
) -> None:
    tenant = served.tenants[1]
    version = served.client.resolve(f"{served.fleet}/{tenant}@dev")
    holdout = holdout_of(served.client, version)
    path = path_of(served.fleet, tenant).replace("/predict", "/forecast")

    answer = served.http.post(path, json={"records": _dated(holdout)})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    values = np.array([p["value"] for p in body["predictions"]])
    assert compute_metrics("regression", holdout.actuals, values) == pytest.approx(
        dict(version.metrics), rel=1e-9
    )
    assert (body["version"], body["arm"]) == (str(version.version), "champion")


@pytest.mark.parametrize(
    "body",
    [{}, {"horizon": 0}, {"horizon": 3, "records": [{"date": "2024-01-01"}]}, {"records": "x"}],
)
def test_a_forecast_body_without_exactly_one_of_records_and_horizon_is_a_422(
    served: Served, path_of: Any, body: dict[str, Any]
) -> None:
    path = path_of(served.fleet, served.tenants[0]).replace("/predict", "/forecast")

    answer = served.http.post(path, json=body)

    assert answer.status_code == 422, answer.text
    assert "Traceback" not in answer.text


def test_a_forecast_date_off_the_daily_grid_is_named(
    served: Served, path_of: Any, holdout_of: Any
) -> None:
    tenant = served.tenants[0]
    version = served.client.resolve(f"{served.fleet}/{tenant}@dev")
    record = {**_dated(holdout_of(served.client, version))[0]}
    record["date"] = record["date"][:10] + "T12:00:00"
    path = path_of(served.fleet, tenant).replace("/predict", "/forecast")

    answer = served.http.post(path, json={"records": [record]})

    assert answer.status_code == 422
    assert answer.json()["fields"][0]["loc"] == ["body", "records", 0, "date"]
    assert "grid" in answer.json()["fields"][0]["message"]
