"""Registry search at the store level: several filters at once, on every backend, with and
without SQLite planner statistics, which the store collects as the registry grows."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import sqlite

from modelfleet.store import (
    MetadataStore,
    MetricCondition,
    ModelRow,
    NewVersionRow,
    VersionKey,
    VersionQuery,
    open_store,
)
from modelfleet.store.registry.search import (
    SEARCH_TABLES,
    STATISTICS_FLOOR,
    refresh_statistics,
    search_statement,
)

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
NEWER: VersionKey = (1, 1, 0)
OLDER: VersionKey = (1, 0, 0)
ABOVE = MetricCondition("candidate", "wmape", ">", 0.3)


@dataclass(frozen=True)
class Stored:
    """What one version was given, to compute every search's answer in Python."""

    model: str
    fleet: str
    tenant: str
    key: VersionKey
    status: str
    tags: dict[str, str]
    wmape: float
    baseline_wmape: float
    aliases: frozenset[str]


def build_registry(store: MetadataStore, models_per_fleet: int) -> list[Stored]:
    """Two fleets, two versions per model, 3 tags, 2 metrics, aliases that overlap.

    ``prod`` points at the newer version of most models and the older one of every fifth;
    ``staging`` points at the newer version of every third model, so some versions carry both
    aliases (a search must return them once) and some models have ``staging`` and ``prod`` on
    different versions.
    """
    stored: list[Stored] = []
    for fleet in ("demand", "other"):
        for i in range(models_per_fleet):
            tenant = f"t{i:04d}"
            tags = {"customer": f"c{i % 40:02d}", "region": ("north", "south", "east")[i % 3]}
            prod = OLDER if i % 5 == 0 else NEWER
            for key in (OLDER, NEWER):
                aliases = {"prod"} if key == prod else set()
                if key == NEWER and i % 3 == 0:
                    aliases.add("staging")
                stored.append(
                    Stored(
                        model=f"{fleet}/{tenant}",
                        fleet=fleet,
                        tenant=tenant,
                        key=key,
                        status="active" if key == prod else "candidate",
                        tags=tags,
                        wmape=((i * 7 + key[1] * 3) % 50) / 100,
                        baseline_wmape=((i * 11 + key[1]) % 60) / 100,
                        aliases=frozenset(aliases),
                    )
                )
    with store.registry("fill the registry", write=True) as tx:
        names = sorted({s.model for s in stored})
        tx.insert_models(
            [ModelRow(n, *n.split("/"), created_at=T0, signature_digest="sig") for n in names]
        )
        ids = tx.insert_versions([_new_row(s) for s in stored])
        for version_id, version in zip(ids, stored, strict=True):
            for alias in sorted(version.aliases):
                tx.set_alias(version.model, alias, version_id, T0)
    return stored


def _new_row(version: Stored) -> NewVersionRow:
    return NewVersionRow(
        model=version.model,
        fleet=version.fleet,
        tenant=version.tenant,
        key=version.key,
        status=version.status,
        run_id=None,
        family="lightgbm",
        signature="{}",
        signature_digest="sig",
        model_digest="m" * 64,
        model_uri="file:///m",
        meta_digest=None,
        holdout_digest=None,
        metrics={"wmape": version.wmape},
        baseline_metrics={"wmape": version.baseline_wmape},
        tags=version.tags,
        data_fingerprint=None,
        config_hash=None,
        code_version=None,
        description="",
        created_at=T0,
        created_by="test",
    )


QUERIES = {
    "customer, prod, wmape": VersionQuery(
        fleet="demand", tags=(("customer", "c05"),), alias="prod", metrics=(ABOVE,), limit=None
    ),
    "two tags, staging": VersionQuery(
        tags=(("customer", "c03"), ("region", "north")), alias="staging", limit=None
    ),
    "tenant, prod, active": VersionQuery(
        fleet="other", tenant="t0010", alias="prod", status="active", limit=None
    ),
    "prod and baseline metric": VersionQuery(
        alias="prod",
        metrics=(ABOVE, MetricCondition("baseline", "wmape", "<=", 0.2)),
        limit=None,
    ),
    "tag and candidate status, newest per model": VersionQuery(
        tags=(("region", "east"),), status="candidate", latest_only=True, limit=None
    ),
    "customer, newest per model": VersionQuery(
        fleet="demand", tags=(("customer", "c01"),), latest_only=True, limit=None
    ),
    "one model": VersionQuery(model="demand/t0005", alias="prod", limit=None),
    "prod, first 7": VersionQuery(alias="prod", metrics=(ABOVE,), limit=7),
    "nothing matches": VersionQuery(fleet="demand", tags=(("customer", "nobody"),), limit=None),
}


def expected(stored: list[Stored], query: VersionQuery) -> list[tuple[str, VersionKey]]:
    """The answer to ``query``, computed from what was stored: by model, newest first."""

    def passes(condition: MetricCondition, version: Stored) -> bool:
        value = version.wmape if condition.scope == "candidate" else version.baseline_wmape
        compare = {
            "<": value < condition.value,
            "<=": value <= condition.value,
            ">": value > condition.value,
            ">=": value >= condition.value,
            "=": value == condition.value,
        }
        return compare[condition.op]

    found = [
        v
        for v in stored
        if (query.fleet is None or v.fleet == query.fleet)
        and (query.tenant is None or v.tenant == query.tenant)
        and (query.model is None or v.model == query.model)
        and (query.status is None or v.status == query.status)
        and (query.alias is None or query.alias in v.aliases)
        and all(v.tags.get(key) == value for key, value in query.tags)
        and all(passes(condition, v) for condition in query.metrics)
    ]
    found.sort(key=lambda v: (v.model, tuple(-part for part in v.key)))
    if query.latest_only:
        seen: set[str] = set()
        found = [v for v in found if not (v.model in seen or seen.add(v.model))]
    answer = [(v.model, v.key) for v in found]
    return answer if query.limit is None else answer[: query.limit]


def search(store: MetadataStore, query: VersionQuery) -> list[tuple[str, VersionKey]]:
    with store.registry("search") as tx:
        return [(row.model, row.key) for row in tx.search(query)]


def test_searches_with_several_filters_return_exactly_the_matching_versions(
    store: MetadataStore,
) -> None:
    stored = build_registry(store, models_per_fleet=30)

    for name, query in QUERIES.items():
        assert search(store, query) == expected(stored, query), name


def test_a_version_with_two_matching_aliases_is_listed_once(store: MetadataStore) -> None:
    build_registry(store, models_per_fleet=6)

    with store.registry("search") as tx:
        rows = tx.search(VersionQuery(model="demand/t0003", limit=None))
    # t0003: staging and prod both on 1.1.0.
    assert [(row.key, row.aliases) for row in rows] == [
        (NEWER, ("prod", "staging")),
        (OLDER, ()),
    ]
    assert search(store, VersionQuery(model="demand/t0003", alias="prod", limit=None)) == [
        ("demand/t0003", NEWER)
    ]


# -- SQLite planner statistics ---------------------------------------------------------------


def _statistics(path: Path) -> set[str]:
    """Tables with rows in the file's sqlite_stat1 (empty when it has none)."""
    with sqlite3.connect(path) as connection:
        if not connection.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"
        ).fetchone():
            return set()
        return {str(row[0]) for row in connection.execute("SELECT tbl FROM sqlite_stat1")}


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "modelfleet.db"


@pytest.fixture
def sqlite_store(sqlite_path: Path) -> Iterator[MetadataStore]:
    with open_store(f"sqlite:///{sqlite_path}") as opened:
        yield opened


def test_a_small_registry_gets_no_statistics(
    sqlite_store: MetadataStore, sqlite_path: Path
) -> None:
    build_registry(sqlite_store, models_per_fleet=100)

    assert _statistics(sqlite_path) == set()


def test_a_registry_past_the_floor_gets_statistics_and_the_same_answers(
    sqlite_store: MetadataStore, sqlite_path: Path
) -> None:
    # 2 fleets x 400 models: 1,600 versions and 1,068 aliases, both past STATISTICS_FLOOR.
    # Statistics for aliases prove the second check ran: when the versions made statistics
    # due, in the same transaction, no alias existed yet.
    stored = build_registry(sqlite_store, models_per_fleet=400)
    assert len(stored) >= STATISTICS_FLOOR

    assert _statistics(sqlite_path) == set(SEARCH_TABLES)
    for name, query in QUERIES.items():
        assert search(sqlite_store, query) == expected(stored, query), name


def test_with_statistics_a_customer_search_starts_from_the_customer_tag(
    sqlite_store: MetadataStore, sqlite_path: Path
) -> None:
    # The point of statistics: the planner starts from the most selective filter (the
    # customer's 40 tag rows) rather than from 800 prod versions or every wmape above 0.3.
    build_registry(sqlite_store, models_per_fleet=400)
    statement = search_statement(QUERIES["customer, prod, wmape"], "sqlite")
    sql = str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))

    with sqlite3.connect(sqlite_path) as connection:
        plan = [str(row[3]) for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}")]
    assert "tag_0" in plan[0], plan


def test_refreshed_statistics_reach_connections_opened_before(
    sqlite_store: MetadataStore, sqlite_path: Path
) -> None:
    # SQLite connections load statistics with the schema; refresh_statistics changes the
    # schema (it recreates sqlite_stat1) so that every open connection reloads them, also when
    # statistics existed already (a plain re-ANALYZE would reach only its own connection).
    build_registry(sqlite_store, models_per_fleet=400)
    with sqlite3.connect(sqlite_path) as other:
        before = other.execute("PRAGMA schema_version").fetchone()[0]
        with sqlite_store.registry("refresh", write=True) as tx:
            refresh_statistics(tx._connection)
        assert other.execute("PRAGMA schema_version").fetchone()[0] > before
    assert _statistics(sqlite_path) == set(SEARCH_TABLES)


def test_opening_a_large_registry_without_statistics_collects_them(sqlite_path: Path) -> None:
    # A registry filled before modelfleet collected statistics: simulated by dropping them.
    with open_store(f"sqlite:///{sqlite_path}") as store:
        stored = build_registry(store, models_per_fleet=400)
    with sqlite3.connect(sqlite_path) as connection:
        connection.execute("DROP TABLE sqlite_stat1")

    with open_store(f"sqlite:///{sqlite_path}") as reopened:
        assert _statistics(sqlite_path) == set(SEARCH_TABLES)
        query = QUERIES["customer, prod, wmape"]
        assert search(reopened, query) == expected(stored, query)


def test_statistics_roll_back_with_the_registration_that_made_them_due(
    sqlite_store: MetadataStore, sqlite_path: Path
) -> None:
    rows = [
        _new_row(
            Stored(
                f"demand/t{i:04d}",
                "demand",
                f"t{i:04d}",
                OLDER,
                "candidate",
                {},
                0.1,
                0.2,
                frozenset(),
            )
        )
        for i in range(STATISTICS_FLOOR)
    ]

    def fail_after_the_insert() -> None:
        with sqlite_store.registry("fill", write=True) as tx:
            tx.insert_models([ModelRow(r.model, r.fleet, r.tenant, T0, "sig") for r in rows])
            tx.insert_versions(rows)
            assert tx._connection.execute(text("SELECT count(*) FROM sqlite_stat1")).scalar()
            raise RuntimeError("failed after the insert")

    with pytest.raises(RuntimeError, match="after the insert"):
        fail_after_the_insert()
    assert _statistics(sqlite_path) == set()
