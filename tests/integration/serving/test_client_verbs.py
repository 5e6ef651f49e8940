"""``client.predict`` and ``client.forecast``: in process on a home, and over HTTP to a server.

Both must give what the prediction server answers, as the same Prediction record.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from tests.unit.api.live import serve

import modelfleet
from modelfleet.client import Client
from modelfleet.config.spec import load_spec
from modelfleet.errors import InputError, NotFoundError, UsageError
from modelfleet.serving.app import create_app

from .conftest import Served

COVARIATES = ("promo", "open", "holiday")


@pytest.fixture(scope="module")
def remote(served: Served) -> Iterator[Client]:
    spec = load_spec(served.demo.spec_path, "dev")
    app = create_app(served.client.settings, "dev", specs=[spec])
    with serve(app) as url, modelfleet.connect(url) as client:
        yield client


def _case(
    served: Served, holdout_of: Any
) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    tenant = served.tenants[1]
    model = f"{served.fleet}/{tenant}"
    records = holdout_of(served.client, served.client.resolve(f"{model}@dev")).records[:4]
    dated = [{"date": r["date"], **{c: r[c] for c in COVARIATES}} for r in records]
    return model, records, dated


def test_local_and_remote_predict_give_the_servers_values(
    served: Served, remote: Client, holdout_of: Any, path_of: Any
) -> None:
    model, records, _ = _case(served, holdout_of)
    fleet, tenant = model.split("/")
    served_values = [
        p["value"]
        for p in served.http.post(path_of(fleet, tenant), json={"records": records}).json()[
            "predictions"
        ]
    ]

    local = served.client.predict(model, records, environment="dev")
    over_http = remote.predict(model, records)

    assert local.values.tolist() == pytest.approx(served_values, rel=1e-12)
    assert over_http.values.tolist() == pytest.approx(served_values, rel=1e-12)
    assert (local.version, over_http.version, over_http.arm) == (
        local.version,
        local.version,
        "champion",
    )
    assert over_http.timestamps.tolist() == local.timestamps.tolist()


def test_local_and_remote_forecasts_agree(served: Served, remote: Client, holdout_of: Any) -> None:
    model, _, dated = _case(served, holdout_of)

    local = served.client.forecast(
        model, spec=served.demo.spec_path, environment="dev", records=dated
    )
    over_http = remote.forecast(model, records=dated)

    assert np.allclose(local.values, over_http.values, rtol=1e-12)


def test_remote_explanations_come_back_as_an_explanation_record(
    served: Served, remote: Client, holdout_of: Any
) -> None:
    model, records, _ = _case(served, holdout_of)

    prediction = remote.predict(model, records, explain=True)

    assert prediction.explanation is not None
    total = prediction.explanation.base + prediction.explanation.contributions.sum(axis=1)
    assert np.allclose(total, prediction.values, rtol=1e-6)


def test_a_bad_record_over_http_is_the_same_error_as_locally(
    served: Served, remote: Client, holdout_of: Any
) -> None:
    model, records, _ = _case(served, holdout_of)
    broken = [{**records[0], "promo": "many"}]

    with pytest.raises(InputError):
        served.client.predict(model, broken, environment="dev")
    with pytest.raises(UsageError, match="promo"):
        remote.predict(model, broken)


def test_a_local_forecast_needs_the_spec_and_its_fleet(served: Served) -> None:
    with pytest.raises(UsageError, match="needs the fleet's spec"):
        served.client.forecast(f"{served.fleet}/1", environment="dev", horizon=1)
    with pytest.raises(UsageError, match="not of fleet"):
        served.client.forecast("other/1", spec=served.demo.spec_path, horizon=1)


def test_predict_for_an_environment_without_a_model_is_not_found(served: Served) -> None:
    with pytest.raises(NotFoundError, match="prod"):
        served.client.predict(f"{served.fleet}/1", [{}], environment="prod")
