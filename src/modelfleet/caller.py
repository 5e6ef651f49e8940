"""Who is calling: the identity every registry and run write is attributed to and checked for.

A :class:`Caller` names a principal, the roles it holds and the tenants it is scoped to. The
embedded local mode fills it from the OS user (who could edit the SQLite file anyway); the
control plane derives it per request itself and never takes a name from a request body. Each
write asks a :class:`Policy` first; :class:`AllowAll` is the policy until governance adds
tokens and scoped roles, so the one place that checks exists before the rules do.

Like ``errors.py`` this module sits outside the layers: every layer may import it.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal, Protocol, TypeAlias

from modelfleet.errors import UsageError

Action: TypeAlias = Literal[
    "train",
    "register",
    "update_metadata",
    "set_alias",
    "remove_alias",
    "promote",
    "approve",
    "rollback",
    "archive",
    "delete",
    "set_traffic",
    "read",
    "predict",
    "feedback",
    "autopilot",
    "manage_auth",
]
Via: TypeAlias = Literal["local", "http", "pipeline"]

_PRINCIPAL = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")


@dataclass(frozen=True)
class Caller:
    """A principal, its roles and its tenant scope (``None``: every fleet and tenant)."""

    principal: str
    roles: tuple[str, ...] = ("admin",)
    tenants: tuple[str, ...] | None = None  # "fleet/tenant" or "fleet/*" entries
    via: Via = "local"

    def __post_init__(self) -> None:
        principal = self.principal.strip() if isinstance(self.principal, str) else ""
        if not _PRINCIPAL.match(principal):
            raise UsageError(
                "a caller needs a principal: a user or service name of 1-200 printable "
                f"characters, got {self.principal!r:.80}"
            )
        object.__setattr__(self, "principal", principal)
        object.__setattr__(self, "roles", tuple(self.roles))


def local_user() -> str:
    """The account this process runs as (the actor of embedded-mode writes), else ``unknown``.

    Read from the account database, not from environment variables a caller could set.
    """
    try:
        import pwd  # POSIX only

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        try:
            return getpass.getuser()
        except (OSError, KeyError):  # no login name and no passwd entry (some containers)
            return "unknown"


def local_caller(principal: str | None = None, *, via: Via = "local") -> Caller:
    """The caller of embedded mode: ``principal`` if given, else the OS user; every role."""
    return Caller(principal or local_user(), via=via)


class Policy(Protocol):
    """Decides whether a caller may do an action on some models; raises when it may not."""

    def check(self, caller: Caller, action: Action, models: Collection[str]) -> None:
        """Return if allowed; raise a ModelfleetError naming what is refused otherwise."""
        ...


class AllowAll:
    """The policy until governance: every caller may do everything (local mode's truth)."""

    def check(self, caller: Caller, action: Action, models: Collection[str]) -> None:
        """Allow."""


ALLOW_ALL = AllowAll()
