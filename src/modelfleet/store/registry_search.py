"""The registry's version search as one SQL statement, and the columns every version read uses.

Each filter is an ``id IN (subquery)`` over an index (tags on ``(key, value)``, metrics on
``(scope, key, value)``, aliases on ``(alias, version_id)``), so the database starts from the
most selective one and a search over 10,000 models reads only the rows it returns. A version's
aliases come along as one aggregated column, so no read ever loads versions one by one.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import ColumnElement, Select, func, literal, select

from modelfleet.store.registry_rows import MetricCondition, VersionQuery
from modelfleet.store.registry_schema import (
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


def version_columns(dialect: str) -> tuple[Any, ...]:
    """Every model_versions column plus ``alias_names``: its aliases joined by commas."""
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
    conditions = _conditions(query)
    if query.latest_only:
        ranked = (
            select(
                model_versions.c.id,
                func.row_number()
                .over(partition_by=model_versions.c.model, order_by=NEWEST_FIRST)
                .label("rank"),
            )
            .where(*conditions)
            .subquery("ranked")
        )
        conditions = [model_versions.c.id.in_(select(ranked.c.id).where(ranked.c.rank == 1))]
    statement = (
        select(*version_columns(dialect))
        .where(*conditions)
        .order_by(model_versions.c.model, *NEWEST_FIRST)
    )
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return statement


def _conditions(query: VersionQuery) -> list[ColumnElement[bool]]:
    versions = model_versions.c
    conditions: list[ColumnElement[bool]] = []
    if query.model is not None:
        conditions.append(versions.model == query.model)
    if query.fleet is not None or query.tenant is not None:
        names = select(models.c.name)
        if query.fleet is not None:
            names = names.where(models.c.fleet == query.fleet)
        if query.tenant is not None:
            names = names.where(models.c.tenant == query.tenant)
        conditions.append(versions.model.in_(names))
    if query.status is not None:
        conditions.append(versions.status == query.status)
    if query.alias is not None:
        conditions.append(
            versions.id.in_(select(aliases.c.version_id).where(aliases.c.alias == query.alias))
        )
    for key, value in query.tags:
        conditions.append(
            versions.id.in_(
                select(version_tags.c.version_id).where(
                    version_tags.c.key == key, version_tags.c.value == value
                )
            )
        )
    for condition in query.metrics:
        conditions.append(
            versions.id.in_(
                select(version_metrics.c.version_id).where(
                    version_metrics.c.scope == condition.scope,
                    version_metrics.c.key == condition.key,
                    _compare(version_metrics.c.value, condition),
                )
            )
        )
    return conditions


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
