"""Path and query parameters with their rules, so a bad one is a 422 naming the parameter.

Fleet and tenant ids follow the fleet spec's rules (letters, digits, ``.``, ``_``, ``-``); a
tenant may not be ``.`` or ``..``, which URLs treat as path steps. Versions are plain semantic
versions (``1.2.0``), aliases and environments follow the spec's name rule and do not read like
a version. Every rule the server checks is the ``pattern`` the OpenAPI document publishes (see
:mod:`modelfleet.wire.rules`), so a request the schema admits is never refused for its form.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Path, Query

from modelfleet.config.blocks import NAME_PATTERN as _NAME
from modelfleet.wire.base import MAX_LIMIT as MAX_LIMIT
from modelfleet.wire.requests import SEMVER
from modelfleet.wire.rules import (
    ALIAS_RULE,
    METRIC_FILTER_RULE,
    TAG_FILTER_RULE,
    TENANT_RULE,
)

NAME_PATTERN: Final = _NAME.pattern
SEMVER_PATTERN: Final = SEMVER
RUN_ID_PATTERN: Final = r"^[0-9a-fA-F]{1,64}$"
BATCH_ID_PATTERN: Final = r"^[A-Za-z0-9_-]{1,64}$"
# Filters of one search (tag=..., metric=...): each becomes a subquery, and SQLite allows at most
# 200 terms in one FROM clause; 32 of each leaves a wide margin (200 metric filters answered 503).
MAX_FILTERS: Final = 32

Tenant = Annotated[str, TENANT_RULE]
Alias = Annotated[str, ALIAS_RULE]
TagFilter = Annotated[str, TAG_FILTER_RULE]
MetricFilterText = Annotated[str, METRIC_FILTER_RULE]

FleetPath = Annotated[str, Path(pattern=NAME_PATTERN, description="fleet name")]
TenantPath = Annotated[Tenant, Path(description="tenant id")]
VersionPath = Annotated[str, Path(pattern=SEMVER_PATTERN, description="version, e.g. 1.2.0")]
AliasPath = Annotated[Alias, Path(description="alias: an environment, champion, challenger")]
RunIdPath = Annotated[
    str, Path(pattern=RUN_ID_PATTERN, description="run id or a unique prefix (6+ characters)")
]
BatchIdPath = Annotated[str, Path(pattern=BATCH_ID_PATTERN, description="promotion batch id")]

FleetQuery = Annotated[str | None, Query(pattern=NAME_PATTERN, description="only this fleet")]
TenantQuery = Annotated[Tenant | None, Query(description="only this tenant")]
EnvQuery = Annotated[Alias | None, Query(description="only this environment")]
AliasQuery = Annotated[Alias | None, Query(description="an alias, e.g. prod")]
VersionQuery = Annotated[
    str | None, Query(pattern=SEMVER_PATTERN, description="a version, e.g. 1.2.0")
]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most this many rows")]
TagsQuery = Annotated[
    list[TagFilter],
    Query(max_length=MAX_FILTERS, description="KEY:VALUE, repeatable; all must match"),
]
MetricsQuery = Annotated[
    list[MetricFilterText],
    Query(max_length=MAX_FILTERS, description="e.g. wmape>0.3 or baseline.mae<=12; repeatable"),
]
