"""The registry's version search as one SQL statement, and the columns every version read uses.

Every filter is an inner join to one indexed row per version: its model (``models``, for
fleet and tenant), its environment alias (``aliases``), one ``version_tags`` row per tag and
one ``version_metrics`` row per metric threshold. Each of these tables has an index to start
from (``(fleet, tenant)``, ``(alias, version_id)``, ``(key, value)``, ``(scope, key, value)``)
and a key to look a version up by, so the query planner may start from any filter, and with
statistics it starts from the most selective one: "customer c's prod versions with wmape >
0.3" reads that customer's tag rows and looks each one up, instead of listing every prod
version first as the ``id IN (subquery)`` form made SQLite do. Each join matches at most one
row per version (on a primary key), so no version is repeated. A version's aliases come along
as one aggregated column, so no read ever loads versions one by one.

SQLite's planner needs statistics to see which filter is selective: without them it guesses
from the index shapes and starts from the metric range or the alias, about 30 times slower for
one customer at 10,000 versions. :func:`refresh_statistics` collects them (``ANALYZE``) each
time the registry's tables double (:func:`statistics_due`, checked by the writes that grow
them); PostgreSQL keeps its own statistics up to date (autovacuum).
"""

from __future__ import annotations

import functools
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Select,
    and_,
    func,
    literal,
    select,
    text,
)

from modelfleet.store.registry.rows import MetricCondition, VersionQuery
from modelfleet.store.registry.schema import (
    aliases,
    model_versions,
    models,
    version_metrics,
    version_tags,
)

NEWEST_FIRST: Final = (
    model_versions.c.major.desc(),
    model_versions.c.minor.desc(),
    model_versions.c.patch.desc(),
)
# The tables search joins: the only ones modelfleet collects SQLite statistics for, so the
# plans of the run tables' queries, tuned without statistics, stay as they are.
SEARCH_TABLES: Final = tuple(
    table.name for table in (models, model_versions, aliases, version_tags, version_metrics)
)
# Rows a table needs before its statistics are worth collecting: below it any plan of a search
# takes about a millisecond, and figures from a handful of rows would mislead the planner later.
STATISTICS_FLOOR: Final = 1024


@functools.cache
def version_columns(dialect: str) -> tuple[Any, ...]:
    """Every model_versions column plus ``alias_names``: its aliases joined by commas.

    Built once per dialect: SQLAlchemy constructs are immutable and can be shared by any
    number of statements, and building them again costs more than running a search.
    """
    pointing = aliases.alias("pointing")
    if dialect == "postgresql":
        joined = func.string_agg(pointing.c.alias, literal(","))
    else:
        joined = func.group_concat(pointing.c.alias, ",")
    names = (
        select(joined)
        .where(pointing.c.version_id == model_versions.c.id)
        .scalar_subquery()
        .label("alias_names")
    )
    return (*model_versions.c, names)


def search_statement(query: VersionQuery, dialect: str) -> Select[Any]:
    """SELECT the versions matching ``query``, ordered by model and newest first."""
    if query.latest_only:
        ranked = _filtered(
            select(
                model_versions.c.id,
                func.row_number()
                .over(partition_by=model_versions.c.model, order_by=NEWEST_FIRST)
                .label("rank"),
            ),
            query,
        ).subquery("ranked")
        statement = select(*version_columns(dialect)).where(
            model_versions.c.id.in_(select(ranked.c.id).where(ranked.c.rank == 1))
        )
    else:
        statement = _filtered(select(*version_columns(dialect)), query)
    statement = statement.order_by(model_versions.c.model, *NEWEST_FIRST)
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return statement


# Aliased tables, made once and shared by every search (each .alias() builds a proxy of every
# column, about as costly as running the SQL): the owner model, the environment alias and the
# n-th tag and metric filter.
_OWNER: Final = models.alias("owner")
_ENVIRONMENT: Final = aliases.alias("environment")


@functools.lru_cache(maxsize=32)
def _tag_table(index: int) -> FromClause:
    return version_tags.alias(f"tag_{index}")


@functools.lru_cache(maxsize=32)
def _metric_table(index: int) -> FromClause:
    return version_metrics.alias(f"metric_{index}")


def _filtered(statement: Select[Any], query: VersionQuery) -> Select[Any]:
    """``statement`` over model_versions, joined to one indexed row per filter of ``query``."""
    versions = model_versions.c
    source: FromClause = model_versions
    if query.fleet is not None or query.tenant is not None:
        owner = _OWNER
        on = [owner.c.name == versions.model]
        if query.fleet is not None:
            on.append(owner.c.fleet == query.fleet)
        if query.tenant is not None:
            on.append(owner.c.tenant == query.tenant)
        source = source.join(owner, and_(*on))
    if query.alias is not None:
        environment = _ENVIRONMENT
        # On the model too: (model, alias) is the primary key, so at most one row matches a
        # version. The registry only points a model's aliases at its own versions, so this
        # drops nothing the former IN (subquery) filter matched.
        source = source.join(
            environment,
            and_(
                environment.c.version_id == versions.id,
                environment.c.model == versions.model,
                environment.c.alias == query.alias,
            ),
        )
    for index, (key, value) in enumerate(query.tags):
        tag = _tag_table(index)
        source = source.join(
            tag,
            and_(tag.c.version_id == versions.id, tag.c.key == key, tag.c.value == value),
        )
    for index, condition in enumerate(query.metrics):
        metric = _metric_table(index)
        source = source.join(
            metric,
            and_(
                metric.c.version_id == versions.id,
                metric.c.scope == condition.scope,
                metric.c.key == condition.key,
                _compare(metric.c.value, condition),
            ),
        )
    conditions: list[ColumnElement[bool]] = []
    if query.model is not None:
        conditions.append(versions.model == query.model)
    if query.status is not None:
        conditions.append(versions.status == query.status)
    return statement.select_from(source).where(*conditions)


def statistics_due(first_rowid: int, last_rowid: int) -> bool:
    """Whether writing rows ``first_rowid..last_rowid`` took a table past 1024, 2048, 4096...

    A table's row ids count its rows (deleted ones too), so this fires each time a table
    doubles, from :data:`STATISTICS_FLOOR` on: statistics never lag more than a factor of two
    behind the data, collecting them costs a constant amount per row written, and deciding
    costs no query.
    """
    return (
        last_rowid >= STATISTICS_FLOOR
        and last_rowid.bit_length() > max(0, first_rowid - 1).bit_length()
    )


def refresh_statistics(connection: Connection) -> None:
    """``ANALYZE`` the tables search joins (SQLite; a no-op on PostgreSQL), in the caller's
    write transaction, so the figures commit or roll back with the rows that made them due.

    About 60 ms at 10,000 versions (all five tables, 190,000 rows), growing linearly with
    the registry; it runs once per doubling, so a few microseconds per row written.
    """
    if connection.dialect.name != "sqlite":
        return  # autovacuum analyzes PostgreSQL tables as they change
    # SQLite connections read statistics when they load the schema, so a plain re-ANALYZE
    # reaches only this connection; other pooled connections and other processes would keep
    # planning with the old figures. Dropping the statistics table and letting ANALYZE create
    # it again is a schema change: every connection reloads schema and statistics before its
    # next statement. modelfleet collects statistics for these tables only, so the drop loses
    # nothing it made.
    connection.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")
    for name in SEARCH_TABLES:
        connection.exec_driver_sql(f"ANALYZE {name}")


def statistics_missing(connection: Connection) -> bool:
    """Whether a SQLite store with at least :data:`STATISTICS_FLOOR` versions has none for them.

    Such a store was filled before modelfleet collected statistics (or they were dropped).
    Two or three indexed reads: ``sqlite_master``, ``sqlite_stat1`` and the newest version id.
    """
    if connection.dialect.name != "sqlite":
        return False
    exists = connection.execute(
        text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
    ).scalar_one()
    if exists:
        analyzed = connection.execute(
            text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = :table"),
            {"table": model_versions.name},
        ).scalar_one()
        if analyzed:
            return False
    newest = connection.execute(select(func.max(model_versions.c.id))).scalar_one()
    return newest is not None and int(newest) >= STATISTICS_FLOOR


def _compare(column: ColumnElement[Any], condition: MetricCondition) -> ColumnElement[bool]:
    value = condition.value
    if condition.op == "<":
        return column < value
    if condition.op == "<=":
        return column <= value
    if condition.op == ">":
        return column > value
    if condition.op == ">=":
        return column >= value
    return column == value
