"""Model names and references: ``fleet/tenant``, ``fleet/tenant@prod``, ``fleet/tenant:1.2.0``.

A model is named ``<fleet>/<tenant>``; fleet and tenant names follow the fleet spec's rules, so
neither contains ``/``, ``@`` or ``:`` and every reference parses one way only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelfleet.config.blocks import NAME_PATTERN
from modelfleet.errors import UsageError
from modelfleet.quoting import excerpt
from modelfleet.registry.semver import SemVer
from modelfleet.tenant_ids import is_tenant_id, tenant_id_error

# Alias names are environment names ("prod") and experiment roles ("champion"), so they follow
# the spec's rule for environment names; it admits no commas, '@', ':' or '/'.
ALIAS_PATTERN = NAME_PATTERN
VERSION_LIKE = re.compile(r"^v?[0-9]+(\.[0-9]+)*$")
FORMS = "fleet/tenant, fleet/tenant@alias (e.g. @prod) or fleet/tenant:1.2.0"


@dataclass(frozen=True)
class ModelRef:
    """A parsed reference: a model plus at most one of an alias or a version."""

    fleet: str
    tenant: str
    alias: str | None = None
    version: SemVer | None = None

    @property
    def model(self) -> str:
        """The model's name, ``fleet/tenant``."""
        return f"{self.fleet}/{self.tenant}"

    def __str__(self) -> str:
        if self.alias is not None:
            return f"{self.model}@{self.alias}"
        if self.version is not None:
            return f"{self.model}:{self.version}"
        return self.model


def model_name(fleet: str, tenant: str) -> str:
    """``fleet/tenant``, after checking both parts."""
    return f"{_fleet(fleet, fleet)}/{_tenant(tenant, f'{fleet}/{tenant}')}"


def split_model(model: str) -> tuple[str, str]:
    """``(fleet, tenant)`` of a model name; UsageError for anything else."""
    fleet, slash, tenant = model.strip().partition("/") if isinstance(model, str) else ("", "", "")
    if not slash:
        raise UsageError(f"{model!r} is not a model name: write fleet/tenant, e.g. demand/store-1")
    return _fleet(fleet, model), _tenant(tenant, model)


def parse_ref(text: str) -> ModelRef:
    """Parse a reference in one of the forms in :data:`FORMS`."""
    if not isinstance(text, str) or not text.strip():
        raise UsageError(f"empty model reference: write {FORMS}")
    body = text.strip()
    if "@" in body:
        model, _, alias = body.partition("@")
        fleet, tenant = split_model(model)
        return ModelRef(fleet, tenant, alias=check_alias(alias))
    if ":" in body:
        model, _, version = body.partition(":")
        fleet, tenant = split_model(model)
        return ModelRef(fleet, tenant, version=SemVer.parse(version))
    fleet, tenant = split_model(body)
    return ModelRef(fleet, tenant)


def check_alias(alias: str) -> str:
    """Return ``alias`` if it is a valid alias name (letters, digits, '.', '_', '-')."""
    if not isinstance(alias, str) or not ALIAS_PATTERN.fullmatch(alias):
        raise UsageError(
            f"{alias!r} is not a valid alias: start with a letter or digit, then letters, "
            "digits, '.', '_' or '-' (e.g. prod, staging, champion)"
        )
    if VERSION_LIKE.match(alias):
        raise UsageError(
            f"{alias!r} looks like a version number, which would read ambiguously as an alias; "
            "name aliases by role (prod, champion) and refer to versions as fleet/tenant:1.2.0"
        )
    return alias


def _fleet(fleet: str, whole: str) -> str:
    if not NAME_PATTERN.fullmatch(fleet):
        raise UsageError(
            f"{whole!r}: fleet name {fleet!r} is not valid (letters, digits, '.', '_', '-'); "
            f"write {FORMS}"
        )
    return fleet


def _tenant(tenant: str, whole: str) -> str:
    if not is_tenant_id(tenant):
        raise UsageError(f"{tenant_id_error(tenant, excerpt(whole))}; write {FORMS}")
    return tenant
