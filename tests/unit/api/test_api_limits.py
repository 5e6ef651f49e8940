"""Hostile requests are refused cheaply, before routing, in the one error shape (never a 5xx)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from tests.unit.api.seed import FLEET, Seeded

with warnings.catch_warnings():  # starlette prefers httpx2 for its TestClient; httpx works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from modelfleet.api.app import create_app
from modelfleet.api.limits import Limits, json_depth, nesting

S1 = f"/api/v1/models/{FLEET}/s1"
JSON = {"content-type": "application/json"}


@pytest.fixture
def api(read_only_api: Any) -> Any:
    """The session's shared app: every request here is refused before it writes."""
    return read_only_api


@pytest.fixture
def tight(seeded: Seeded) -> Iterator[TestClient]:
    """An app with small limits, to see each one apply at its boundary."""
    limits = Limits(max_body_bytes=200, max_url_bytes=100, max_query_params=3, max_json_depth=2)
    app = create_app(seeded.settings, [seeded.spec_path], limits=limits)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _error(response: Any) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"], body["detail"]


# -- the URL
def test_a_query_string_over_8_kib_is_414_saying_how_long_it_was(api: Any) -> None:
    response = api.get("/api/v1/models", params={"fleet": "f" * 9000})

    status, error, detail = _error(response)
    assert (status, error) == (414, "URI too long")
    assert "at most 8192 are accepted" in detail


def test_a_path_over_8_kib_is_414(api: Any) -> None:
    response = api.get(f"/api/v1/models/{'a' * 9000}/s1")

    assert response.status_code == 414


def test_more_than_256_query_parameters_are_414_saying_how_many(api: Any) -> None:
    response = api.get("/api/v1/models", params=[("tag", "a:b")] * 300)

    assert _error(response) == (
        414,
        "URI too long",
        "the query string has 300 parameters; at most 256 are accepted",
    )


def test_the_url_limits_apply_at_their_boundary(tight: TestClient) -> None:
    assert tight.get("/healthz", params={"a": "1", "b": "2", "c": "3"}).status_code == 200
    assert tight.get("/healthz", params={"a": "1", "b": "2", "c": "3", "d": "4"}).status_code == 414
    assert tight.get("/healthz", params={"x": "y" * 80}).status_code == 200
    assert tight.get("/healthz", params={"x": "y" * 100}).status_code == 414


def test_more_filters_than_the_schema_allows_are_422_naming_the_parameter(api: Any) -> None:
    response = api.get("/api/v1/models", params=[("metric", "wmape<1")] * 33)

    assert response.status_code == 422
    assert "query.metric" in response.json()["detail"]


def test_a_query_value_that_is_not_utf8_is_a_4xx(api: Any) -> None:
    response = api.get("/api/v1/models?fleet=%FF%FE")

    assert response.status_code == 422


# -- the body: size
def test_a_declared_body_over_the_limit_is_413_before_it_is_read(tight: TestClient) -> None:
    response = tight.post(f"{S1}/promote", content=b"x" * 201, headers=JSON)

    assert _error(response) == (
        413,
        "request too large",
        "the request body is larger than 200 bytes",
    )


# -- the body: depth
def test_100000_open_brackets_are_413_saying_how_deep(api: Any) -> None:
    response = api.post(f"{S1}/promote", content=b"[" * 100_000, headers=JSON)

    assert _error(response) == (
        413,
        "request too large",
        "the JSON body nests 100000 levels deep; at most 32 are accepted",
    )


def test_a_deep_value_inside_a_valid_body_is_413(api: Any) -> None:
    body = b'{"environment": "dev", "reason": ' + b"[" * 40 + b"]" * 40 + b"}"

    response = api.post(f"{S1}/promote", content=body, headers=JSON)

    assert response.status_code == 413


def test_a_body_at_the_depth_limit_goes_on_to_validation(tight: TestClient) -> None:
    response = tight.post(f"{S1}/promote", json={"environment": ["dev"]})

    assert response.status_code == 422
    assert "body.environment" in response.json()["detail"]


def test_brackets_inside_strings_do_not_count_as_depth(api: Any) -> None:
    response = api.post(f"{S1}/rollback", json={"environment": "nowhere", "reason": "[" * 100})

    assert response.status_code != 413


def test_a_deep_body_of_another_content_type_is_not_measured_but_refused(api: Any) -> None:
    response = api.post(
        f"{S1}/promote", content=b"[" * 100_000, headers={"content-type": "text/plain"}
    )

    assert response.status_code == 422


# -- the body: contents
def test_a_body_that_is_not_utf8_is_422_saying_so(api: Any) -> None:
    response = api.post(f"{S1}/promote", content=b'{"environment": "\xff\xfe"}', headers=JSON)

    assert response.status_code == 422
    assert "not UTF-8" in response.json()["detail"]


def test_a_number_with_100000_digits_is_422_saying_so(api: Any) -> None:
    body = b'{"environment": "dev", "reason": 1' + b"9" * 100_000 + b"}"

    response = api.post(f"{S1}/promote", content=body, headers=JSON)

    assert response.status_code == 422
    assert "too many digits" in response.json()["detail"]


def test_a_huge_float_is_422_naming_the_field(api: Any) -> None:
    response = api.post(f"{S1}/promote", content=b'{"environment": 1e999}', headers=JSON)

    assert response.status_code == 422
    assert "body.environment" in response.json()["detail"]


def test_an_xml_body_is_422(api: Any) -> None:
    response = api.post(f"{S1}/promote", content=b"<a/>", headers={"content-type": "text/xml"})

    assert response.status_code == 422


def test_thousands_of_unknown_fields_answer_20_and_a_count(api: Any) -> None:
    body = json.dumps({f"k{i}": 0 for i in range(5000)})

    response = api.post(f"{S1}/promote", content=body, headers=JSON)

    assert response.status_code == 422
    assert len(response.json()["fields"]) == 20
    assert response.json()["detail"].endswith("and 4981 more invalid fields")


def test_a_huge_unknown_key_is_not_echoed_whole(api: Any) -> None:
    key = "k" * 5000

    response = api.post(f"{S1}/promote", json={"environment": "dev", key: 1})

    assert key[:61] not in response.text


# -- json_depth
@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (b"", 0),
        (b"1", 0),
        (b"{}", 1),
        (b'[[1], {"a": [2]}]', 3),
        (b'{"a": "[[[["}', 1),
        (b'{"a": "\\"[[[", "b": 1}', 1),
        (b'{"a": "\\\\", "b": [[]]}', 3),
        (b"]]]]", 0),
    ],
)
def test_json_depth_counts_brackets_outside_strings(text: bytes, depth: int) -> None:
    assert json_depth(text) == depth


def test_nesting_counts_brackets_when_few_open() -> None:
    text = b'{"a": "[[[["}'

    assert nesting(text, cheap_below=10) == 5  # a bound, below the limit: no scan needed
    assert nesting(text, cheap_below=3) == 1
