"""Alembic environment: run migrations on the connection modelfleet hands over.

:func:`modelfleet.store.migrate.ensure_schema` passes a connection that is already inside a
locked transaction. For developers generating a new revision with the ``alembic`` command, a
``sqlalchemy.url`` main option works too.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from modelfleet.store import predictions as _predictions  # noqa: F401  (registers its table)
from modelfleet.store.registry import traffic as _traffic  # noqa: F401  (registers its table)
from modelfleet.store.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        # Both backends roll back DDL, so a failed migration leaves no half-built schema.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate the given connection, or one opened from ``sqlalchemy.url``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(
            "no connection to migrate: open the store with modelfleet.store.open_store(url), "
            "or set sqlalchemy.url when running the alembic command"
        )
    engine = create_engine(url)
    try:
        with engine.begin() as fresh:
            _run(fresh)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("modelfleet migrations run online only (drop --sql)")
run_migrations_online()
