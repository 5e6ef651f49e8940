"""Roles, what each may do, and scopes: the rules, as pure data and pure functions.

A **grant** gives a principal one role over one scope: everything (``*``), a fleet
(``fleet/*``) or one tenant (``fleet/tenant``). A caller may do an action on a model when one of
its grants has a role that includes the action and a scope that covers the model. The roles:

* ``viewer``: read models, runs, history and cards, and call predict (a tenant's own token);
* ``developer``: a viewer who trains, registers, edits metadata, promotes and sends feedback;
* ``approver``: a viewer who approves promotions (and the autopilot's waiting steps);
* ``operator``: a viewer who promotes, rolls back, moves aliases, changes traffic, sends
  feedback and runs the autopilot;
* ``admin``: everything, archiving, deleting and managing grants and tokens included.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

from modelfleet.errors import UsageError
from modelfleet.tenant_ids import is_tenant_id

Role: TypeAlias = Literal["viewer", "developer", "approver", "operator", "admin"]
ROLES: Final[tuple[Role, ...]] = ("viewer", "developer", "approver", "operator", "admin")

VIEWER = frozenset({"read", "predict"})
ROLE_ACTIONS: Final[dict[str, frozenset[str]]] = {
    "viewer": VIEWER,
    "developer": VIEWER | {"train", "register", "update_metadata", "promote", "feedback"},
    "approver": VIEWER | {"approve"},
    "operator": VIEWER
    | {
        "promote",
        "rollback",
        "set_alias",
        "remove_alias",
        "set_traffic",
        "feedback",
        "autopilot",
    },
    "admin": VIEWER
    | {
        "train",
        "register",
        "update_metadata",
        "promote",
        "approve",
        "rollback",
        "set_alias",
        "remove_alias",
        "set_traffic",
        "feedback",
        "autopilot",
        "archive",
        "delete",
        "manage_auth",
    },
}
EVERYTHING: Final = "*"


@dataclass(frozen=True)
class Grant:
    """One role over one scope (``*``, ``fleet/*`` or ``fleet/tenant``)."""

    role: str
    scope: str

    def __post_init__(self) -> None:
        if self.role not in ROLE_ACTIONS:
            raise UsageError(f"role {self.role!r}: use one of {', '.join(ROLES)}")
        check_scope(self.scope)

    def allows(self, action: str, model: str) -> bool:
        """Whether this grant lets its holder do ``action`` on ``model`` (``fleet/tenant``)."""
        return action in ROLE_ACTIONS[self.role] and covers(self.scope, model)


def check_scope(scope: str) -> str:
    """``scope`` if well formed, else UsageError saying the three shapes."""
    if scope == EVERYTHING:
        return scope
    fleet, slash, tenant = scope.partition("/")
    if slash and fleet and is_tenant_id(fleet) and (tenant == "*" or is_tenant_id(tenant)):
        return scope
    raise UsageError(
        f"scope {scope[:80]!r}: give * (everything), FLEET/* (a fleet) or FLEET/TENANT (a tenant)"
    )


def scope_of(fleet: str | None, tenant: str | None) -> str:
    """The scope of ``--fleet``/``--tenant`` options: everything, a fleet, or one tenant."""
    if tenant is not None and fleet is None:
        raise UsageError("a tenant scope needs its fleet: give --fleet FLEET --tenant TENANT")
    if fleet is None:
        return EVERYTHING
    return check_scope(f"{fleet}/{tenant or '*'}")


def covers(scope: str, model: str) -> bool:
    """Whether ``scope`` includes ``model`` (``fleet/tenant``; a fleet-wide action passes
    ``fleet/*`` and needs a scope of the whole fleet or more)."""
    if scope == EVERYTHING:
        return True
    fleet, _, tenant = scope.partition("/")
    model_fleet, _, model_tenant = model.partition("/")
    return fleet == model_fleet and (tenant == "*" or tenant == model_tenant)


def allowed(grants: Iterable[Grant], action: str, models: Collection[str]) -> bool:
    """Whether ``grants`` allow ``action`` on every one of ``models``."""
    held = tuple(grants)
    return all(any(g.allows(action, model) for g in held) for model in models)
