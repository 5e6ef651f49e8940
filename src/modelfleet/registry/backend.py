"""What every registry operation shares: the store, the clock, artifact bytes, and lookups
that fail with messages naming what does exist."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from modelfleet.caller import ALLOW_ALL, Caller, Policy, Via
from modelfleet.errors import ConflictError, NotFoundError, UsageError
from modelfleet.registry.rescore import ReadArtifact
from modelfleet.registry.semver import SemVer
from modelfleet.store import MetadataStore, RegistryTx, VersionRow


@dataclass(frozen=True)
class Backend:
    """The registry's collaborators: the store, the clock, an artifact reader, the policy."""

    store: MetadataStore
    clock: Callable[[], datetime]
    read_artifact: ReadArtifact
    policy: Policy = ALLOW_ALL


def as_caller(caller: Caller | str, *, via: Via = "local") -> Caller:
    """A caller, or a bare principal name made one; every write must say who does it."""
    if isinstance(caller, Caller):
        return caller
    if not isinstance(caller, str) or not caller.strip():
        raise UsageError("every registry write needs a caller: who is doing it (a user name)")
    return Caller(caller, via=via)


def version_row(tx: RegistryTx, model: str, version: SemVer) -> VersionRow:
    """One version's row; NotFoundError naming the model's versions if there is none."""
    row = tx.version_by_key(model, version.key)
    if row is None:
        raise missing(tx, model, f"version {version}")
    return row


def unaliased_row(tx: RegistryTx, model: str, version: SemVer, verb: str) -> VersionRow:
    """One version's row, refusing with ConflictError while an alias points at it."""
    row = version_row(tx, model, version)
    if row.aliases:
        raise ConflictError(
            f"cannot {verb} {model}:{version}: alias(es) {', '.join(row.aliases)} point at "
            "it; promote or set another version there (or roll back) first"
        )
    return row


def missing(tx: RegistryTx, model: str, what: str) -> NotFoundError:
    """NotFoundError for ``what`` of ``model`` (or the model itself), naming what exists."""
    versions = [f"{row.major}.{row.minor}.{row.patch}" for row in tx.versions_of(model)]
    if not versions:
        fleet = model.partition("/")[0]
        others = tx.model_names(fleet, limit=6)
        if others:
            return NotFoundError(
                f"no model {model!r} is registered; fleet {fleet!r} has {_listing(others, 5)}"
            )
        return NotFoundError(
            f"no model {model!r} is registered, and fleet {fleet!r} has no registered models"
        )
    aliases = ", ".join(
        f"@{alias} -> {SemVer(*key)}" for alias, key in tx.aliases_of(model).items()
    )
    return NotFoundError(
        f"{model} has no {what}; it has versions {_listing(versions, 8)}"
        + (f" and aliases {aliases}" if aliases else " and no aliases")
    )


def _listing(items: Iterable[str], limit: int) -> str:
    shown = list(items)
    return ", ".join(shown[:limit]) + (", ..." if len(shown) > limit else "")
