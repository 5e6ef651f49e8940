"""Alembic migrations of the metadata store, applied by :mod:`modelfleet.store.migrate`."""
