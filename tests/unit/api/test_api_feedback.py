"""``POST /api/v1/fleets/{fleet}/feedback``: records counted as the CLI counts them, and every
wrong, missing, malformed, oversized or hostile body refused with a 4xx naming the field.

The seeded fleet ``demand`` has models of s1, s2 and s3 (s4's run was rejected: no model).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.unit.api.seed import FLEET, Seeded

from modelfleet.api.routes.feedback import MAX_RECORDS
from modelfleet.store import MetadataStore, open_store

URL = f"/api/v1/fleets/{FLEET}/feedback"
TODAY = datetime.now(UTC).date()


def _record(
    tenant: str = "s1", days_ago: int = 1, value: Any = 10.0, **more: Any
) -> dict[str, Any]:
    return {"tenant": tenant, "ts": str(TODAY - timedelta(days=days_ago)), "value": value, **more}


@pytest.fixture
def store(seeded: Seeded) -> Iterator[MetadataStore]:
    """The seeded home's metadata store, to see what a request left in it."""
    opened = open_store(seeded.settings.store_url)
    yield opened
    opened.close()


def _stored(store: MetadataStore) -> list[tuple[str, datetime, float]]:
    since = datetime(2000, 1, 1, tzinfo=UTC)
    until = datetime(2100, 1, 1, tzinfo=UTC)
    return sorted(store.stored_actuals(FLEET, ["s1", "s2", "s3", "s4"], since, until))


def _fields(response: Any) -> list[list[Any]]:
    return [f["loc"] for f in response.json()["fields"]]


# -- valid bodies


def test_new_records_are_stored_and_counted_new(api: Any, store: MetadataStore) -> None:
    body = {"records": [_record("s1", 1, 10.0), _record("s2", 1, 20.0), _record("s3", 2, 5.5)]}

    response = api.post(URL, json=body)

    assert response.status_code == 200
    counts = response.json()
    assert (counts["rows"], counts["new"], counts["stored"]) == (3, 3, 3)
    assert [(t, v) for t, _, v in _stored(store)] == [("s1", 10.0), ("s2", 20.0), ("s3", 5.5)]


def test_the_answer_has_every_count_the_cli_reports(api: Any) -> None:
    counts = api.post(URL, json={"records": [_record()]}).json()

    assert set(counts) == {
        "fleet", "source", "rows", "new", "revised", "unchanged", "repeated", "late",
        "stored", "unknown_tenants", "invalid",
    }  # fmt: skip
    assert counts["fleet"] == FLEET and "server-user" in counts["source"]


def test_sending_the_same_records_again_counts_them_unchanged(api: Any) -> None:
    body = {"records": [_record("s1", 1), _record("s2", 1)]}
    api.post(URL, json=body)

    again = api.post(URL, json=body).json()

    assert (again["new"], again["revised"], again["unchanged"]) == (0, 0, 2)


def test_another_value_for_a_stored_date_is_a_revision(api: Any, store: MetadataStore) -> None:
    api.post(URL, json={"records": [_record("s1", 1, 10.0)]})

    fixed = api.post(URL, json={"records": [_record("s1", 1, 12.5)]}).json()

    assert fixed["revised"] == 1
    assert [v for _, _, v in _stored(store)] == [12.5]


def test_a_date_twice_in_one_body_counts_repeated_and_keeps_the_last(
    api: Any, store: MetadataStore
) -> None:
    body = {"records": [_record("s1", 1, 1.0), _record("s1", 1, 2.0)]}

    counts = api.post(URL, json=body).json()

    assert (counts["repeated"], counts["new"]) == (1, 1)
    assert [v for _, _, v in _stored(store)] == [2.0]


def test_a_date_and_its_midnight_with_an_offset_are_the_same_actual(api: Any) -> None:
    day = TODAY - timedelta(days=3)
    api.post(URL, json={"records": [{"tenant": "s1", "ts": str(day), "value": 4.0}]})

    same = {"tenant": "s1", "ts": f"{day}T02:00:00+02:00", "value": 4.0}
    counts = api.post(URL, json={"records": [same]}).json()

    assert counts["unchanged"] == 1


def test_a_time_without_an_offset_is_read_as_utc(api: Any, store: MetadataStore) -> None:
    api.post(URL, json={"records": [{"tenant": "s1", "ts": "2026-01-05T10:30:00", "value": 1}]})

    ((_, ts, _),) = _stored(store)
    assert ts == datetime(2026, 1, 5, 10, 30, tzinfo=UTC)


def test_an_actual_older_than_the_specs_max_delay_is_stored_and_counted_late(api: Any) -> None:
    body = {"records": [_record("s1", 45), _record("s2", 2)]}  # the spec's max_delay: 30 days

    counts = api.post(URL, json=body).json()

    assert (counts["late"], counts["new"]) == (1, 2)


def test_a_record_may_name_the_request_it_answers(api: Any) -> None:
    body = {"records": [_record("s1", 1, request_id="req-0001.a_b")]}

    assert api.post(URL, json=body).status_code == 200


# -- refused bodies: each a 4xx naming the field, nothing stored


def test_an_unknown_tenant_refuses_the_whole_body_naming_its_record(
    api: Any, store: MetadataStore
) -> None:
    body = {"records": [_record("s1"), _record("s4"), _record("s2")]}

    response = api.post(URL, json=body)

    assert response.status_code == 422
    assert _fields(response) == [["body", "records", 1, "tenant"]]
    assert "'s4'" in response.json()["detail"]
    assert _stored(store) == []


@pytest.mark.parametrize("tenant", ["..", ".", "a/b", "é", "", "x" * 201, "s1\n"])
def test_a_malformed_tenant_id_is_refused_naming_the_field(api: Any, tenant: str) -> None:
    response = api.post(URL, json={"records": [_record(tenant)]})

    assert response.status_code == 422
    assert _fields(response) == [["body", "records", 0, "tenant"]]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_value_that_is_not_finite_is_refused_naming_the_field(
    api: Any, store: MetadataStore, value: str
) -> None:
    text = f'{{"records": [{{"tenant": "s1", "ts": "2026-01-05", "value": {value}}}]}}'

    response = api.post(URL, content=text, headers={"content-type": "application/json"})

    assert response.status_code == 422
    assert _fields(response) == [["body", "records", 0, "value"]]
    assert _stored(store) == []


@pytest.mark.parametrize("value", ["12", True, None, [1], {"v": 1}])
def test_a_value_that_is_not_a_number_is_refused_naming_the_field(api: Any, value: Any) -> None:
    response = api.post(URL, json={"records": [_record(value=value)]})

    assert response.status_code == 422
    assert _fields(response) == [["body", "records", 0, "value"]]


@pytest.mark.parametrize(
    "ts",
    ["2026-13-01", "2026-02-30", "2026-01-05T25:00:00", "2026-01-05T10:00:00+24:00",
     "yesterday", "05/01/2026", "20260105", "2026-01-05T10:00", " 2026-01-05", "", 1767600000,
     None],
)  # fmt: skip
def test_a_bad_date_is_refused_naming_the_field(api: Any, ts: Any) -> None:
    response = api.post(URL, json={"records": [{"tenant": "s1", "ts": ts, "value": 1.0}]})

    assert response.status_code == 422
    assert _fields(response) == [["body", "records", 0, "ts"]]


def test_an_impossible_date_says_what_is_wrong_with_it(api: Any) -> None:
    response = api.post(URL, json={"records": [_record() | {"ts": "2026-02-30"}]})

    assert "day is out of range for month" in response.json()["detail"]


@pytest.mark.parametrize("request_id", ["a b", "x" * 65, "", "id;drop", 12])
def test_a_malformed_request_id_is_refused_naming_the_field(api: Any, request_id: Any) -> None:
    response = api.post(URL, json={"records": [_record(request_id=request_id)]})

    assert response.status_code == 422
    assert _fields(response) == [["body", "records", 0, "request_id"]]


def test_an_unknown_field_of_a_record_is_refused_not_ignored(api: Any) -> None:
    response = api.post(URL, json={"records": [_record(actor="mallory")]})

    assert response.status_code == 422
    assert _fields(response) == [["body", "records", 0, "actor"]]
    assert "unknown field" in response.json()["detail"]


def test_an_unknown_field_of_the_body_is_refused_not_ignored(api: Any) -> None:
    response = api.post(URL, json={"records": [_record()], "spec": "/etc/fleet.yaml"})

    assert response.status_code == 422
    assert _fields(response) == [["body", "spec"]]


@pytest.mark.parametrize("missing", ["tenant", "ts", "value"])
def test_a_record_without_a_required_field_is_refused_naming_it(api: Any, missing: str) -> None:
    record = {k: v for k, v in _record().items() if k != missing}

    response = api.post(URL, json={"records": [record]})

    assert response.status_code == 422
    assert _fields(response) == [["body", "records", 0, missing]]
    assert "required field is missing" in response.json()["detail"]


@pytest.mark.parametrize("body", [{}, {"records": []}, {"records": None}, {"records": {}}, []])
def test_a_body_without_records_is_refused_naming_records(api: Any, body: Any) -> None:
    response = api.post(URL, json=body)

    assert response.status_code == 422
    assert any(loc[:2] == ["body", "records"] or loc == ["body"] for loc in _fields(response))


def test_more_records_than_the_bound_are_refused_naming_records(api: Any) -> None:
    record = {"tenant": "s1", "ts": "2026-01-05", "value": 1}
    response = api.post(URL, json={"records": [record] * (MAX_RECORDS + 1)})

    assert response.status_code == 422
    assert _fields(response) == [["body", "records"]]
    assert f"at most {MAX_RECORDS}" in response.json()["detail"]


def test_as_many_records_as_the_bound_are_accepted(api: Any) -> None:
    records = [_record(f"s{1 + i % 3}", 1 + i // 3, float(i)) for i in range(MAX_RECORDS)]

    response = api.post(URL, json={"records": records})

    assert response.status_code == 200 and response.json()["new"] == MAX_RECORDS


def test_a_10_mb_body_is_refused_as_too_large(api: Any, store: MetadataStore) -> None:
    text = json.dumps({"records": [_record(value=1.0)]}).encode() + b" " * (10 << 20)

    response = api.post(URL, content=text, headers={"content-type": "application/json"})

    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
    assert _stored(store) == []


def test_a_body_that_is_not_json_is_refused(api: Any) -> None:
    response = api.post(URL, content=b'{"records": [', headers={"content-type": "application/json"})

    assert response.status_code == 422
    assert "not valid JSON" in response.json()["detail"]


def test_a_body_nested_too_deeply_is_refused_before_parsing(api: Any) -> None:
    text = '{"records": [' + "[" * 100 + "]" * 100 + "]}"

    response = api.post(URL, content=text, headers={"content-type": "application/json"})

    assert response.status_code == 413


def test_a_fleet_the_server_has_no_spec_of_is_not_found_saying_how_to_serve_it(
    api: Any,
) -> None:
    response = api.post("/api/v1/fleets/other/feedback", json={"records": [_record()]})

    assert response.status_code == 404
    assert "--spec" in response.json()["detail"] and "'other'" in response.json()["detail"]


def test_many_bad_records_are_all_counted_in_the_answer(api: Any) -> None:
    records = [_record("nope", value=1.0) for _ in range(30)]

    response = api.post(URL, json={"records": records})

    assert response.status_code == 422
    assert len(response.json()["fields"]) == 20  # the handler's cap; the detail says the rest
    assert "and 10 more" in response.json()["detail"]


def test_the_client_sends_records_over_a_server_as_it_stores_them_locally(
    remote: Any, local: Any, seeded: Seeded, store: MetadataStore
) -> None:
    from modelfleet.monitoring.feedback import Actual

    day = TODAY - timedelta(days=1)

    over_http = remote.feedback_records(FLEET, [Actual("s1", day, 10.0)])
    at_home = local.feedback_records(FLEET, [Actual("s2", day, 20.0)], spec=seeded.spec_path)

    assert (over_http.new, at_home.new) == (1, 1)
    assert [(t, v) for t, _, v in _stored(store)] == [("s1", 10.0), ("s2", 20.0)]
