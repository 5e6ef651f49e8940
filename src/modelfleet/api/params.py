"""Path and query parameters with their rules, so a bad one is a 422 naming the parameter.

Fleet and tenant ids follow the fleet spec's rules (letters, digits, ``.``, ``_``, ``-``); a
tenant may not be ``.`` or ``..``, which URLs treat as path steps. Versions are plain semantic
versions (``1.2.0``), aliases and environments follow the spec's name rule.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Path, Query
from pydantic import AfterValidator

from modelfleet.config.blocks import NAME_PATTERN as _NAME
from modelfleet.config.blocks import TENANT_PATTERN as _TENANT
from modelfleet.registry.refs import ALIAS_PATTERN as _ALIAS
from modelfleet.wire.base import MAX_LIMIT as MAX_LIMIT
from modelfleet.wire.requests import SEMVER

NAME_PATTERN: Final = _NAME.pattern
TENANT_PATTERN: Final = _TENANT.pattern
ALIAS_PATTERN: Final = _ALIAS.pattern
SEMVER_PATTERN: Final = SEMVER
RUN_ID_PATTERN: Final = r"^[0-9a-fA-F]{1,64}$"
BATCH_ID_PATTERN: Final = r"^[A-Za-z0-9_-]{1,64}$"


def _no_dot_segment(value: str) -> str:
    if value in (".", ".."):
        raise ValueError("'.' and '..' are not tenant ids")
    return value


FleetPath = Annotated[str, Path(pattern=NAME_PATTERN, description="fleet name")]
TenantPath = Annotated[
    str, Path(pattern=TENANT_PATTERN, description="tenant id"), AfterValidator(_no_dot_segment)
]
VersionPath = Annotated[str, Path(pattern=SEMVER_PATTERN, description="version, e.g. 1.2.0")]
AliasPath = Annotated[
    str, Path(pattern=ALIAS_PATTERN, description="alias: an environment, champion, challenger")
]
RunIdPath = Annotated[
    str, Path(pattern=RUN_ID_PATTERN, description="run id or a unique prefix (6+ characters)")
]
BatchIdPath = Annotated[str, Path(pattern=BATCH_ID_PATTERN, description="promotion batch id")]

FleetQuery = Annotated[str | None, Query(pattern=NAME_PATTERN, description="only this fleet")]
TenantQuery = Annotated[str | None, Query(pattern=TENANT_PATTERN, description="only this tenant")]
EnvQuery = Annotated[str | None, Query(pattern=ALIAS_PATTERN, description="only this environment")]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="at most this many rows")]
