"""The model registry's tables, rows, queries and transactions inside the metadata store.

:mod:`.schema` declares the tables on the store's one ``MetaData``; :mod:`.rows` the row
dataclasses; :mod:`.search` the version search as SQL joins; :mod:`.sql` the precompiled
statements of the hot path, run by :mod:`.fast` on a raw DBAPI connection; :mod:`.tx` the
write transaction with its model locks.
"""
