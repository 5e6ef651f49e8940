"""Predictions from the server: parity with training, the answer's shape, bad requests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from modelfleet.registry.records import ModelVersion
from modelfleet.training.metrics import compute_metrics

from .conftest import Served


def test_served_predictions_on_the_holdout_reproduce_each_versions_recorded_metrics(
    served: Served, path_of: Any, holdout_of: Any
) -> None:
    for tenant in served.tenants:
        version = served.client.resolve(f"{served.fleet}/{tenant}@dev")
        holdout = holdout_of(served.client, version)

        answer = served.http.post(path_of(served.fleet, tenant), json={"records": holdout.records})

        assert answer.status_code == 200, answer.text
        values = np.array([p["value"] for p in answer.json()["predictions"]])
        again = compute_metrics("regression", holdout.actuals, values)
        assert again == pytest.approx(dict(version.metrics), rel=1e-9)


def test_the_answer_names_the_model_version_environment_arm_and_request_id(
    served: Served, first: tuple[str, ModelVersion], path_of: Any, holdout_of: Any
) -> None:
    tenant, version = first
    records = holdout_of(served.client, version).records[:3]

    answer = served.http.post(
        path_of(served.fleet, tenant), json={"records": records}, headers={"X-Request-ID": "r-1"}
    ).json()

    assert {k: answer[k] for k in ("request_id", "model", "version", "environment", "arm")} == {
        "request_id": "r-1",
        "model": f"{served.fleet}/{tenant}",
        "version": str(version.version),
        "environment": "dev",
        "arm": "champion",
    }
    assert [p["timestamp"][:10] for p in answer["predictions"]] == [r["date"][:10] for r in records]


def test_without_a_request_id_the_server_makes_one(
    served: Served, first: tuple[str, ModelVersion], path_of: Any, holdout_of: Any
) -> None:
    tenant, version = first
    records = holdout_of(served.client, version).records[:1]

    ids = {
        served.http.post(path_of(served.fleet, tenant), json={"records": records}).json()[
            "request_id"
        ]
        for _ in range(2)
    }

    assert len(ids) == 2 and all(len(i) == 32 for i in ids)


def test_a_tenant_without_a_model_in_the_environment_is_a_404_naming_model_and_alias(
    served: Served, path_of: Any
) -> None:
    answer = served.http.post(path_of(served.fleet, "no-such-store"), json={"records": [{}]})

    assert answer.status_code == 404
    assert f"{served.fleet}/no-such-store" in answer.json()["detail"]


@pytest.mark.parametrize("tenant", ["..", "a b", "x" * 201])
def test_a_hostile_tenant_id_in_the_path_is_refused_before_any_lookup(
    served: Served, path_of: Any, tenant: str
) -> None:
    answer = served.http.post(path_of(served.fleet, tenant), json={"records": [{}]})

    assert answer.status_code in (404, 422)
    assert "Traceback" not in answer.text


def _bad(served: Served, tenant: str, records: Any) -> dict[str, Any]:
    answer = served.http.post(
        f"/v1/fleets/{served.fleet}/tenants/{tenant}/predict", json={"records": records}
    )
    assert answer.status_code == 422, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _one(served: Served, first: tuple[str, ModelVersion], holdout_of: Any) -> dict[str, Any]:
    record: dict[str, Any] = holdout_of(served.client, first[1]).records[0]
    return record


def test_a_missing_field_is_named_with_its_record(
    served: Served, first: tuple[str, ModelVersion], holdout_of: Any
) -> None:
    record = _one(served, first, holdout_of)
    name = first[1].signature.input_names[0]
    broken = {k: v for k, v in record.items() if k != name}

    body = _bad(served, first[0], [record, broken])

    assert {"loc": ["body", "records", 1, name], "type": "missing"}.items() <= body["fields"][
        0
    ].items()


def test_an_unknown_field_is_refused_not_ignored(
    served: Served, first: tuple[str, ModelVersion], holdout_of: Any
) -> None:
    record = {**_one(served, first, holdout_of), "promo_typo": 1}

    body = _bad(served, first[0], [record])

    assert body["fields"][0]["loc"] == ["body", "records", 0, "promo_typo"]
    assert "unknown field" in body["fields"][0]["message"]


@pytest.mark.parametrize("value", ["lots", True, [1], {"a": 1}])
def test_a_wrongly_typed_number_is_named_with_what_to_send(
    served: Served, first: tuple[str, ModelVersion], holdout_of: Any, value: Any
) -> None:
    name = next(f.name for f in first[1].signature.inputs if f.type == "double")
    record = {**_one(served, first, holdout_of), name: value}

    body = _bad(served, first[0], [record])

    assert body["fields"][0]["loc"] == ["body", "records", 0, name]
    assert "takes a finite number" in body["fields"][0]["message"]


def test_a_bad_date_is_named(
    served: Served, first: tuple[str, ModelVersion], holdout_of: Any
) -> None:
    record = {**_one(served, first, holdout_of), "date": "yesterday"}

    body = _bad(served, first[0], [record])

    assert body["fields"][0]["loc"] == ["body", "records", 0, "date"]


def test_null_inputs_are_scored_as_missing_values(
    served: Served, first: tuple[str, ModelVersion], holdout_of: Any, path_of: Any
) -> None:
    record = {**_one(served, first, holdout_of)}
    record.update({name: None for name in first[1].signature.input_names})

    answer = served.http.post(path_of(served.fleet, first[0]), json={"records": [record]})

    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("records", "where"),
    [([], ["body", "records"]), ([1], ["body", "records", 0]), ("x", ["body", "records"])],
)
def test_records_that_are_not_a_list_of_objects_are_refused(
    served: Served, first: tuple[str, ModelVersion], records: Any, where: list[Any]
) -> None:
    body = _bad(served, first[0], records)

    assert body["fields"][0]["loc"][: len(where)] == where


def test_more_records_than_the_limit_are_refused_with_the_limit(
    served: Served, first: tuple[str, ModelVersion], holdout_of: Any
) -> None:
    record = _one(served, first, holdout_of)

    body = _bad(served, first[0], [record] * 501)

    assert "at most 500" in body["detail"]


def test_a_body_that_is_not_json_is_a_422_not_a_500(
    served: Served, first: tuple[str, ModelVersion], path_of: Any
) -> None:
    answer = served.http.post(
        path_of(served.fleet, first[0]),
        content=b"{records: [",
        headers={"content-type": "application/json"},
    )

    assert answer.status_code == 422
    assert "Traceback" not in answer.text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "required field is missing"),
        (b"   ", "required field is missing"),
        (b'{"records": [1, 2', "not valid JSON (at character"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b'{"records": ' + b"[" * 5000 + b"]" * 5000 + b"}", "not valid JSON"),
    ],
    ids=["empty", "blank", "cut-off", "not-utf8", "nested-5000-deep"],
)
def test_a_body_the_parser_refuses_is_a_422_naming_the_body(
    served: Served, first: tuple[str, ModelVersion], path_of: Any, content: bytes, message: str
) -> None:
    answer = served.http.post(
        path_of(served.fleet, first[0]),
        content=content,
        headers={"content-type": "application/json"},
    )

    assert answer.status_code == 422
    field = answer.json()["fields"][0]
    assert field["loc"][0] == "body"
    assert message in field["message"]


def test_a_repeated_request_scores_the_same_once_its_model_is_cached(
    served: Served, first: tuple[str, ModelVersion], holdout_of: Any, path_of: Any
) -> None:
    # The first request loads the model in the thread pool; the next is scored on the event
    # loop (nothing left to query or load): both must give the same answer.
    record = _one(served, first, holdout_of)
    path = path_of(served.fleet, first[0])

    answers = [served.http.post(path, json={"records": [record]}).json() for _ in range(3)]

    assert len({a["predictions"][0]["value"] for a in answers}) == 1
    assert {a["version"] for a in answers} == {str(first[1].version)}


def test_explanations_add_up_to_each_prediction(
    served: Served, path_of: Any, holdout_of: Any
) -> None:
    for tenant in served.tenants:
        version = served.client.resolve(f"{served.fleet}/{tenant}@dev")
        records = holdout_of(served.client, version).records[:6]

        answer = served.http.post(
            path_of(served.fleet, tenant) + "?explain=true", json={"records": records}
        ).json()

        assert answer["explanation_scale"] == "prediction"
        for row in answer["predictions"]:
            why = row["explanation"]
            total = why["base"] + sum(why["contributions"].values())
            assert total == pytest.approx(row["value"], rel=1e-6, abs=1e-6)


def test_a_lightgbm_version_is_explained_by_tree_shap_over_its_inputs(
    served: Served, path_of: Any, holdout_of: Any
) -> None:
    versions = [served.client.resolve(f"{served.fleet}/{t}@dev") for t in served.tenants]
    version = next(v for v in versions if v.family == "lightgbm")
    records = holdout_of(served.client, version).records[:2]

    answer = served.http.post(
        path_of(served.fleet, version.tenant) + "?explain=true", json={"records": records}
    ).json()

    assert answer["explanation_method"] == "tree_shap"
    names = set(answer["predictions"][0]["explanation"]["contributions"])
    assert names == set(version.signature.input_names)


def test_without_explain_no_contributions_are_sent(
    served: Served, first: tuple[str, ModelVersion], path_of: Any, holdout_of: Any
) -> None:
    records = holdout_of(served.client, first[1]).records[:1]

    answer = served.http.post(path_of(served.fleet, first[0]), json={"records": records}).json()

    assert answer["explanation_method"] is None
    assert answer["predictions"][0]["explanation"] is None


def test_records_out_of_time_order_are_answered_in_the_order_sent(
    served: Served, first: tuple[str, ModelVersion], path_of: Any, holdout_of: Any
) -> None:
    tenant, version = first
    records = holdout_of(served.client, version).records[:5]
    path = path_of(served.fleet, tenant)

    forward = served.http.post(path, json={"records": records}).json()["predictions"]
    backward = served.http.post(path, json={"records": records[::-1]}).json()["predictions"]

    assert backward == forward[::-1]


def test_the_served_fleet_has_per_tenant_lightgbm_and_baseline_versions(served: Served) -> None:
    # The explanation tests rely on both kinds being served (tree_shap and break_down).
    families = {served.client.resolve(f"{served.fleet}/{t}@dev").family for t in served.tenants}

    assert families == {"lightgbm", "seasonal_naive"}
