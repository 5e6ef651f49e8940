"""Property: whatever a client sends, the control plane answers below 500 in the error shape.

Hypothesis generates path segments, query values and JSON bodies (some close to valid, most
not) against every route; a 500 would mean an input reached code that does not check it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.api.seed import FLEET

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
SEGMENT = st.one_of(
    TEXT,
    st.sampled_from([FLEET, "s1", "1.0.0", "dev", "prod", "..", ".", "%", "a/b", "ü", " "]),
)
JSON_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), TEXT
)
JSON = st.recursive(
    JSON_LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
FIELDS = [
    "environment",
    "version",
    "reason",
    "tags",
    "description",
    "skip_moved",
    "mode",
    "share",
    "challenger",
    "records",
]
BODY = st.one_of(
    JSON,
    st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=5),
    st.fixed_dictionaries({"environment": SEGMENT, "version": SEGMENT}),
)
ROUTES = [
    ("GET", "/api/v1/runs/{a}"),
    ("GET", "/api/v1/fleet-runs/{a}"),
    ("GET", "/api/v1/models/{a}/{b}"),
    ("GET", "/api/v1/models/{a}/{b}/versions/{c}"),
    ("GET", "/api/v1/models/{a}/{b}/resolve/{c}"),
    ("GET", "/api/v1/models/{a}/{b}/history"),
    ("GET", "/api/v1/models/{a}/{b}/card"),
    ("GET", "/api/v1/models/{a}/{b}/latest"),
    ("POST", "/api/v1/models/{a}/{b}/promote"),
    ("POST", "/api/v1/models/{a}/{b}/approve"),
    ("POST", "/api/v1/models/{a}/{b}/rollback"),
    ("PUT", "/api/v1/models/{a}/{b}/aliases/{c}"),
    ("DELETE", "/api/v1/models/{a}/{b}/aliases/{c}"),
    ("PUT", "/api/v1/models/{a}/{b}/traffic/{c}"),
    ("GET", "/api/v1/models/{a}/{b}/traffic/{c}"),
    ("DELETE", "/api/v1/models/{a}/{b}/traffic/{c}"),
    ("POST", "/api/v1/models/{a}/{b}/versions/{c}/archive"),
    ("PATCH", "/api/v1/models/{a}/{b}/versions/{c}"),
    ("DELETE", "/api/v1/models/{a}/{b}/versions/{c}"),
    ("POST", "/api/v1/fleets/{a}/promote"),
    ("POST", "/api/v1/fleets/{a}/feedback"),
    ("POST", "/api/v1/batches/{a}/rollback"),
    ("POST", "/api/v1/runs/{a}/register"),
    ("POST", "/api/v1/autopilot/actions/{a}/approve"),
    ("POST", "/api/v1/autopilot/actions/{a}/reject"),
]
QUERY_KEYS = ["fleet", "tenant", "tag", "env", "status", "metric", "latest_only", "limit", "format"]
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _check(response: Any) -> None:
    assert response.status_code < 500, (response.request.url, response.text)
    if response.is_error:
        assert {"error", "detail"} <= set(response.json())


@FUZZ
@given(route=st.sampled_from(ROUTES), a=SEGMENT, b=SEGMENT, c=SEGMENT, body=BODY)
def test_any_path_and_body_is_answered_below_500(
    api: Any, route: tuple[str, str], a: str, b: str, c: str, body: Any
) -> None:
    method, template = route
    path = template.format(a=quote(a, safe=""), b=quote(b, safe=""), c=quote(c, safe=""))

    response = api.request(method, path, json=body if method != "GET" else None)

    _check(response)


@FUZZ
@given(params=st.lists(st.tuples(st.sampled_from(QUERY_KEYS), TEXT), max_size=6))
def test_any_query_is_answered_below_500(api: Any, params: list[tuple[str, str]]) -> None:
    _check(api.get("/api/v1/models", params=params))
    _check(api.get("/api/v1/runs", params=params))
    _check(api.get("/api/v1/autopilot/actions", params=params))


def test_the_fuzzed_routes_are_every_route_with_a_path_parameter(api: Any) -> None:
    spec = api.get("/openapi.json").json()
    with_params = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        if "{" in path
        for method in operations
    }
    fuzzed = {
        (method, template.replace("{a}", "{}").replace("{b}", "{}").replace("{c}", "{}"))
        for method, template in ROUTES
    }

    assert {(m, _shape(p)) for m, p in with_params} == fuzzed


def _shape(path: str) -> str:
    """The path with every parameter name blanked: ``/models/{fleet}`` -> ``/models/{}``."""
    import re

    return re.sub(r"\{[^}]+\}", "{}", path)
