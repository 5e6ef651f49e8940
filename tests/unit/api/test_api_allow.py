"""A 405 carries ``Allow`` listing every method of its path, for every route the app has."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from modelfleet.api.app import create_app
from modelfleet.config.settings import Settings


@pytest.fixture
def api(read_only_api: Any) -> Any:
    """The session's shared app: every request here is refused before any route runs."""
    return read_only_api


# The expected methods come from the published document, the answers from the route table:
# a route added tomorrow is in both, so it is checked without being named here.
DOCUMENT = create_app(Settings.for_home(Path("never-opened"))).openapi()
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
PATHS = {
    path: sorted(method.upper() for method in operations)
    for path, operations in DOCUMENT["paths"].items()
}


def _concrete(template: str) -> str:
    """A path with every parameter filled (routing matches before parameters are checked)."""
    return re.sub(r"\{[^}]+\}", "x1", template)


@pytest.mark.parametrize("template", sorted(PATHS))
def test_an_undeclared_method_is_405_with_allow_listing_the_paths_methods(
    api: Any, template: str
) -> None:
    declared = PATHS[template]
    method = next((m for m in METHODS if m not in declared), "TRACE")

    response = api.request(method, _concrete(template))

    assert response.status_code == 405
    assert sorted(response.headers["allow"].split(", ")) == declared


def test_allow_joins_methods_declared_by_different_routers(api: Any) -> None:
    response = api.post("/api/v1/models/demand/s1/versions/1.0.0")

    assert response.headers["allow"] == "DELETE, GET, PATCH"


def test_the_405_body_names_the_method_and_what_the_path_accepts(api: Any) -> None:
    response = api.put("/api/v1/runs")

    assert response.json() == {
        "error": "method not allowed",
        "detail": "PUT is not accepted here; this path accepts GET",
        "fields": [],
    }


def test_the_schema_page_allows_get_and_head(api: Any) -> None:
    response = api.post("/openapi.json")

    assert response.headers["allow"] == "GET, HEAD"
