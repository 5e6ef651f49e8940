"""Which methods a path accepts, for the ``Allow`` header of a 405 answer (RFC 9110).

Starlette answers 405 from the first route whose path matches, so its ``Allow`` names that
route's methods only (``GET`` for ``/versions/{version}``, whose PATCH and DELETE live in
another router). Here every route of the app is walked, included routers too, so a route added
tomorrow is covered without naming it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.routing import compile_path


@dataclass(frozen=True)
class PathMethods:
    """One route's path pattern and the methods it accepts."""

    regex: re.Pattern[str]
    methods: frozenset[str]


def _route_contexts(routes: Iterable[Any]) -> Iterable[Any]:
    # FastAPI 0.16x keeps included routers as branches; iter_route_contexts flattens them
    # (older FastAPI copies every route into app.routes, which are flat already).
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI
        return routes
    return iter_route_contexts(list(routes))


def method_table(routes: Iterable[Any]) -> list[PathMethods]:
    """Every route with a path and methods, as a pattern to match request paths against."""
    table = []
    for route in _route_contexts(routes):
        path, methods = getattr(route, "path", None), getattr(route, "methods", None)
        if path and methods:
            regex, _, _ = compile_path(path)
            table.append(PathMethods(regex, frozenset(methods)))
    return table


def allowed(table: Iterable[PathMethods], path: str) -> list[str]:
    """The methods some route accepts on ``path``, sorted (empty: no route has that path)."""
    found: set[str] = set()
    for entry in table:
        if entry.regex.match(path):
            found |= entry.methods
    return sorted(found)
