"""The registry's fixed statements, built once per dialect with bound parameters.

Building a SQLAlchemy statement costs more than running it on an indexed table (about 0.5 ms
against 0.1 ms), so every statement whose shape never changes is built here once and executed
with parameters. Only search, whose filters vary, builds its statement per call
(:mod:`.search`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Delete,
    Insert,
    Select,
    Update,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)

from modelfleet.store.registry.schema import (
    aliases,
    approvals,
    model_events,
    model_versions,
    models,
    version_metrics,
    version_tags,
)
from modelfleet.store.registry.search import NEWEST_FIRST, version_columns

_v = model_versions.c


@dataclass(frozen=True)
class RegistryStatements:
    """One dialect's prebuilt registry statements; parameters are named in each docstring."""

    version_by_key: Select[Any]  # model, major, minor, patch
    version_by_id: Select[Any]  # id
    version_by_alias: Select[Any]  # model, alias
    versions_for_runs: Select[Any]  # run_ids (expanding)
    versions_by_ids: Select[Any]  # ids (expanding)
    versions_with_data: Select[Any]  # models, fingerprints (unarchived)
    latest_version: Select[Any]  # model
    latest_unarchived: Select[Any]  # model
    versions_of: Select[Any]  # model
    model_signatures: Select[Any]  # models (expanding)
    created_versions: Select[Any]  # models (expanding)
    aliases_of: Select[Any]  # model
    alias_count: Select[Any]  # version_id
    approval: Select[Any]  # model, version_id, environment
    insert_versions: Insert  # every model_versions column but id; many rows, ids in order
    insert_metric: Insert
    insert_tag: Insert
    insert_model: Insert
    update_model_signature: Update  # w_name, new_signature_digest
    set_status: Update  # version_id, new_status
    move_alias: Update  # w_model, w_alias, new_version_id, new_updated_at
    insert_alias: Insert
    remove_alias: Delete  # model, alias
    insert_event: Insert
    insert_events: Insert  # many rows, no ids back
    insert_approval: Insert
    delete_children: tuple[Delete, ...]  # version_id
    delete_version: Delete  # id


@functools.cache
def statements(dialect: str) -> RegistryStatements:
    """The statements for ``dialect`` ("sqlite" or "postgresql"), built on first use."""
    columns = version_columns(dialect)
    one_model = _v.model == bindparam("model")
    return RegistryStatements(
        version_by_key=select(*columns).where(
            one_model,
            _v.major == bindparam("major"),
            _v.minor == bindparam("minor"),
            _v.patch == bindparam("patch"),
        ),
        version_by_id=select(*columns).where(_v.id == bindparam("id")),
        version_by_alias=select(*columns)
        .select_from(aliases.join(model_versions, _v.id == aliases.c.version_id))
        .where(aliases.c.model == bindparam("model"), aliases.c.alias == bindparam("alias")),
        versions_for_runs=select(*columns)
        .where(_v.run_id.in_(bindparam("run_ids", expanding=True)))
        .order_by(_v.id),
        versions_by_ids=select(*columns).where(_v.id.in_(bindparam("ids", expanding=True))),
        versions_with_data=select(*columns)
        .where(
            _v.model.in_(bindparam("models", expanding=True)),
            _v.data_fingerprint.in_(bindparam("fingerprints", expanding=True)),
            _v.status != "archived",
        )
        .order_by(_v.id),
        latest_version=select(*columns).where(one_model).order_by(*NEWEST_FIRST).limit(1),
        latest_unarchived=select(*columns)
        .where(one_model, _v.status != "archived")
        .order_by(*NEWEST_FIRST)
        .limit(1),
        versions_of=select(*columns).where(one_model).order_by(*NEWEST_FIRST),
        model_signatures=select(models.c.name, models.c.signature_digest).where(
            models.c.name.in_(bindparam("models", expanding=True))
        ),
        created_versions=select(model_events.c.model, model_events.c.to_version).where(
            model_events.c.model.in_(bindparam("models", expanding=True)),
            model_events.c.kind.in_(("registered", "metadata_updated")),
        ),
        aliases_of=select(aliases.c.alias, _v.major, _v.minor, _v.patch)
        .select_from(aliases.join(model_versions, _v.id == aliases.c.version_id))
        .where(aliases.c.model == bindparam("model"))
        .order_by(aliases.c.alias),
        alias_count=select(func.count()).where(aliases.c.version_id == bindparam("version_id")),
        approval=select(approvals).where(
            approvals.c.model == bindparam("model"),
            approvals.c.version_id == bindparam("version_id"),
            approvals.c.environment == bindparam("environment"),
        ),
        insert_versions=insert(model_versions).returning(_v.id, sort_by_parameter_order=True),
        insert_metric=insert(version_metrics),
        insert_tag=insert(version_tags),
        insert_model=insert(models),
        update_model_signature=update(models)
        .where(models.c.name == bindparam("w_name"))
        .values(signature_digest=bindparam("new_signature_digest")),
        set_status=update(model_versions)
        .where(_v.id == bindparam("version_id"))
        .values(status=bindparam("new_status")),
        move_alias=update(aliases)
        .where(aliases.c.model == bindparam("w_model"), aliases.c.alias == bindparam("w_alias"))
        .values(version_id=bindparam("new_version_id"), updated_at=bindparam("new_updated_at")),
        insert_alias=insert(aliases),
        remove_alias=delete(aliases).where(
            aliases.c.model == bindparam("model"), aliases.c.alias == bindparam("alias")
        ),
        insert_event=insert(model_events).returning(model_events.c.id),
        insert_events=insert(model_events),
        insert_approval=insert(approvals),
        delete_children=tuple(
            delete(table).where(table.c.version_id == bindparam("version_id"))
            for table in (version_metrics, version_tags, approvals)
        ),
        delete_version=delete(model_versions).where(_v.id == bindparam("version_id")),
    )
