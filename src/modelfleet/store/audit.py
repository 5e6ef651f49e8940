"""Read-only SQL for ``modelfleet doctor``: integrity, every artifact reference, aliases, moves.

Each function is one read over the whole store (no query per version), returning plain rows;
the rules that judge them live in :mod:`modelfleet.doctor`. :func:`open_unmigrated` opens a
store *without* migrating it or collecting statistics, so the doctor never writes unless asked
to repair, and can report a schema that is behind instead of silently upgrading it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import text

from modelfleet.errors import StoreError
from modelfleet.store.engine import build_engines
from modelfleet.store.metadata_store import MetadataStore
from modelfleet.store.registry.schema import aliases, model_events, model_versions
from modelfleet.store.schema import artifacts
from modelfleet.store.translate import translated_errors
from modelfleet.store.urls import parse_store_url

# The event kinds that move an alias (the registry's ALIAS_MOVES; the store cannot import it).
ALIAS_MOVE_KINDS: Final = ("alias_set", "alias_removed", "rolled_back")
INTEGRITY_LINES: Final = 20  # problems SQLite's integrity_check reports at most


@dataclass(frozen=True)
class VersionBlobs:
    """The artifacts one version references (``meta``/``holdout`` may be absent)."""

    model: str
    version: str  # "1.2.0"
    model_digest: str
    model_uri: str
    meta_digest: str | None
    holdout_digest: str | None


@dataclass(frozen=True)
class AliasState:
    """Where an alias points now."""

    model: str
    alias: str
    version: str


@dataclass(frozen=True)
class AliasMove:
    """One event that moved an alias, as recorded."""

    id: int
    model: str
    alias: str
    kind: str
    from_version: str | None
    to_version: str | None


def open_unmigrated(url: str) -> MetadataStore:
    """Open the store at ``url`` as it is: no migration, no statistics, no new SQLite file."""
    store_url = parse_store_url(url)
    path = store_url.sqlite_path
    if path is not None and not path.is_file():
        raise StoreError(
            f"no metadata store at {store_url.display}: the file {path} does not exist; check "
            "--home / --store-url (or MODELFLEET_HOME / MODELFLEET_STORE_URL)"
        )
    with translated_errors(store_url.display, "open it"):
        read_engine, write_engine = build_engines(store_url)
    return MetadataStore(store_url, read_engine, write_engine)


def integrity_problems(store: MetadataStore) -> list[str]:
    """What the database engine finds wrong with its own files; empty when sound.

    SQLite runs ``PRAGMA integrity_check`` (every page, index and constraint); PostgreSQL
    checks its own pages, so a round trip proves it is reachable and answering.
    """
    with store._reading("check the database's integrity") as connection:
        if connection.dialect.name != "sqlite":
            connection.execute(text("SELECT 1"))
            return []
        lines = connection.exec_driver_sql(f"PRAGMA integrity_check({INTEGRITY_LINES})")
        found = [str(row[0]) for row in lines]
    return [] if found == ["ok"] else found


def version_blobs(store: MetadataStore) -> list[VersionBlobs]:
    """The artifacts of every version, in one query."""
    v = model_versions.c
    statement = model_versions.select().with_only_columns(
        v.model, v.major, v.minor, v.patch, v.model_digest, v.model_uri, v.meta_digest,
        v.holdout_digest,
    )  # fmt: skip
    with store._reading("list every version's artifacts") as connection:
        rows = connection.execute(statement.order_by(v.model, v.id)).all()
    return [VersionBlobs(r[0], f"{r[1]}.{r[2]}.{r[3]}", r[4], r[5], r[6], r[7]) for r in rows]


def run_digests(store: MetadataStore) -> set[str]:
    """Every digest a run's artifact records, in one query (registered or not)."""
    statement = artifacts.select().with_only_columns(artifacts.c.digest).distinct()
    with store._reading("list every run's artifacts") as connection:
        return set(connection.execute(statement).scalars())


def alias_states(store: MetadataStore) -> list[AliasState]:
    """Every alias and the version number it points at, in one join."""
    v = model_versions.c
    statement = (
        aliases.join(model_versions, aliases.c.version_id == v.id)
        .select()
        .with_only_columns(aliases.c.model, aliases.c.alias, v.major, v.minor, v.patch)
    )
    with store._reading("list every alias") as connection:
        rows = connection.execute(statement).all()
    return [AliasState(r[0], r[1], f"{r[2]}.{r[3]}.{r[4]}") for r in rows]


def alias_moves(store: MetadataStore) -> list[AliasMove]:
    """Every alias-moving event, ordered by model, alias and id (the order of each chain)."""
    e = model_events.c
    statement = (
        model_events.select()
        .with_only_columns(e.id, e.model, e.alias, e.kind, e.from_version, e.to_version)
        .where(e.kind.in_(ALIAS_MOVE_KINDS), e.alias.is_not(None))
        .order_by(e.model, e.alias, e.id)
    )
    with store._reading("list every alias move") as connection:
        rows = connection.execute(statement).all()
    return [AliasMove(*row) for row in rows]
