"""Bad requests get a 4xx with field-level messages, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.api.seed import FLEET


@pytest.fixture
def api(read_only_api: Any) -> Any:
    """The session's shared app: every test here only reads (or is refused before writing)."""
    return read_only_api


S1 = f"/api/v1/models/{FLEET}/s1"


def _fields(response: Any) -> dict[str, str]:
    body = response.json()
    assert body["error"] == "invalid request"
    return {".".join(str(p) for p in f["loc"]): f["message"] for f in body["fields"]}


def test_wrong_type_names_the_field(api: Any) -> None:
    response = api.post(f"{S1}/promote", json={"environment": 5})

    assert response.status_code == 422
    assert "body.environment" in _fields(response)


def test_missing_field_says_it_is_required(api: Any) -> None:
    response = api.post(f"{S1}/approve", json={"environment": "prod"})

    assert response.status_code == 422
    assert _fields(response) == {"body.version": "required field is missing"}


def test_unknown_field_is_refused_not_ignored(api: Any) -> None:
    response = api.post(f"{S1}/promote", json={"environment": "dev", "enviroment": "prod"})

    assert response.status_code == 422
    assert "unknown field" in _fields(response)["body.enviroment"]


def test_strings_are_not_coerced_from_numbers_or_lists(api: Any) -> None:
    response = api.post(f"{S1}/rollback", json={"environment": ["prod"], "reason": 7})

    assert response.status_code == 422
    assert set(_fields(response)) == {"body.environment", "body.reason"}


def test_long_reason_is_refused_by_its_limit(api: Any) -> None:
    response = api.post(f"{S1}/promote", json={"environment": "dev", "reason": "x" * 5000})

    assert response.status_code == 422
    assert "body.reason" in _fields(response)


def test_huge_body_is_413_before_it_is_read(api: Any) -> None:
    response = api.post(f"{S1}/promote", json={"environment": "dev", "reason": "x" * 2_000_000})

    assert response.status_code == 413
    assert response.json()["error"] == "request too large"


def test_huge_query_string_value_is_414_before_it_is_parsed(api: Any) -> None:
    response = api.get("/api/v1/models", params={"fleet": "f" * 20_000})

    assert response.status_code == 414
    assert response.json()["error"] == "URI too long"


def test_long_query_value_under_the_url_limit_is_422_naming_it(api: Any) -> None:
    response = api.get("/api/v1/models", params={"fleet": "f" * 2_000})

    assert response.status_code == 422
    assert "query.fleet" in _fields(response)


def test_non_json_body_is_422_saying_so(api: Any) -> None:
    response = api.post(
        f"{S1}/promote", content=b"{environment: dev", headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert "not valid JSON" in response.json()["detail"]


def test_plain_text_body_is_422(api: Any) -> None:
    response = api.post(f"{S1}/promote", content=b"hello", headers={"content-type": "text/plain"})

    assert response.status_code == 422


def test_json_array_instead_of_object_is_422(api: Any) -> None:
    response = api.post(f"{S1}/promote", json=[{"environment": "dev"}])

    assert response.status_code == 422


def test_empty_body_is_422(api: Any) -> None:
    assert api.post(f"{S1}/promote").status_code == 422


def test_empty_patch_is_422_saying_what_to_give(api: Any) -> None:
    response = api.patch(f"{S1}/versions/1.0.0", json={"reason": "nothing"})

    assert response.status_code == 422
    assert "tags and/or description" in response.json()["detail"]


def test_an_actor_in_the_body_is_refused_as_an_unknown_field(api: Any) -> None:
    response = api.post(f"{S1}/promote", json={"environment": "dev", "actor": "bob\n\x1b[31m"})

    assert response.status_code == 422
    assert "body.actor" in _fields(response)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/models/{FLEET}/%2E%2E/history",
        f"/api/v1/models/{FLEET}/./history",
        "/api/v1/models/%2E%2E%2F%2E%2E%2Fetc/passwd",
        "/api/v1/models/..%2F..%2Fetc/passwd/history",
        f"/api/v1/models/{FLEET}/s1%00/history",
        f"/api/v1/models/{FLEET}/s1/versions/..%2F1.0.0",
        "/api/v1/runs/..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_path_traversal_in_params_is_a_4xx(api: Any, path: str) -> None:
    response = api.get(path)

    assert 400 <= response.status_code < 500, (path, response.status_code, response.text)
    assert "error" in response.json()


def test_bad_tenant_path_param_names_the_parameter(api: Any) -> None:
    response = api.get(f"/api/v1/models/{FLEET}/%2E%2E/history")

    assert response.status_code == 422
    assert "path.tenant" in _fields(response)


@pytest.mark.parametrize(
    "version", ["1.2", "v1.2.0", "01.2.0", "1.2.0-rc1", "1.2.3.4", "9999999999.0.0"]
)
def test_invalid_semver_in_the_path_is_422(api: Any, version: str) -> None:
    response = api.get(f"{S1}/versions/{version}")

    assert response.status_code == 422
    assert "path.version" in _fields(response)


def test_invalid_semver_in_the_body_is_422(api: Any) -> None:
    response = api.post(f"{S1}/approve", json={"version": "v1", "environment": "prod"})

    assert response.status_code == 422
    assert "body.version" in _fields(response)


@pytest.mark.parametrize("metric", ["wmape>>0.3", "wmape", ">0.3", "wmape>abc", "drop table;<1"])
def test_bad_metric_filter_is_422_naming_the_entry(api: Any, metric: str) -> None:
    response = api.get("/api/v1/models", params={"metric": ["wmape<1", metric]})

    assert response.status_code == 422
    assert "query.metric.1" in _fields(response)


def test_bad_tag_filter_is_422_naming_the_entry(api: Any) -> None:
    response = api.get("/api/v1/models", params={"tag": "no-colon"})

    assert response.status_code == 422
    assert "KEY:VALUE" in _fields(response)["query.tag.0"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "query.limit"),
        ({"limit": "ten"}, "query.limit"),
        ({"limit": 10**12}, "query.limit"),
        ({"status": "deleted"}, "query.status"),
        ({"latest_only": "maybe"}, "query.latest_only"),
        ({"env": "prod;drop"}, "query.env"),
    ],
)
def test_bad_query_params_are_422(api: Any, params: dict[str, Any], field: str) -> None:
    response = api.get("/api/v1/models", params=params)

    assert response.status_code == 422
    assert field in _fields(response)


def test_bad_card_format_is_422(api: Any) -> None:
    response = api.get(f"{S1}/card", params={"format": "pdf"})

    assert response.status_code == 422
    assert "query.format" in _fields(response)


def test_unknown_route_is_a_json_404(api: Any) -> None:
    response = api.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.json()["error"] == "not found"


def test_wrong_method_is_a_json_405(api: Any) -> None:
    response = api.delete(f"{S1}/promote")

    assert response.status_code == 405
    assert response.json()["error"] == "method not allowed"


def test_errors_never_echo_the_input(api: Any) -> None:
    secret = "s3cr3t-" + "y" * 3000
    response = api.post(f"{S1}/promote", json={"environment": "dev", "reason": secret})

    assert secret[:20] not in response.text


def test_huge_body_sent_in_chunks_is_413(api: Any) -> None:
    chunks = (b'{"environment": "dev", "reason": "' if i == 0 else b"x" * 65536 for i in range(40))

    response = api.post(
        f"{S1}/promote", content=chunks, headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["error"] == "request too large"
