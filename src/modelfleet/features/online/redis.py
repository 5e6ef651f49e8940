"""The Redis online store: the scale-out backend, one string value per entity row.

Keys (``<prefix>`` defaults to ``mf:``; set it with ``?prefix=`` in the URL)::

    <prefix>row:<view>:<version>:<entity key>   JSON array [event_ts, value, value, ...]
    <prefix>meta:<view>:<version>               hash: name, version, columns, rows, watermark,
                                                updated_at

View name and version are percent-encoded in keys, so a ``:`` or a glob character in them can
never make two views share keys. Writes go through a Lua script, one call per chunk of rows,
that keeps the stored row unless the new event time is equal or newer, atomically. Reads are one
round trip (the columns and one MGET per chunk, pipelined). Redis Cluster is not supported: the
script touches keys of many hash slots. The ``redis`` client is imported here only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import pyarrow as pa
import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from modelfleet.data.sql import mask_url
from modelfleet.errors import OnlineStoreError
from modelfleet.features.online.base import MaterializedView, OnlineRow, ViewKey
from modelfleet.features.online.codec import (
    Column,
    chunks,
    columns_from_json,
    columns_to_json,
    conform,
    decode_table,
    describe,
    now_us,
    positions,
    to_datetime,
    unique,
)

DEFAULT_PREFIX = "mf:"
WRITE_CHUNK = 1000
READ_CHUNK = 1000
_COLUMNS_CHANGED = "MFCOLUMNS"

# KEYS: meta, row... ARGV: columns, name, version, updated_at, payload... (one per row key).
# A payload starts with "[<event_ts>," so the event time is read without decoding JSON.
_WRITE_LUA = (
    """
local meta = KEYS[1]
local columns = redis.call('HGET', meta, 'columns')
if not columns then
  redis.call('HSET', meta, 'name', ARGV[2], 'version', ARGV[3], 'columns', ARGV[1])
elseif columns ~= ARGV[1] then
  return redis.error_reply('"""
    + _COLUMNS_CHANGED
    + """ stored columns differ')
end
local written, added = 0, 0
for i = 2, #KEYS do
  local payload = ARGV[i + 3]
  local current = redis.call('GET', KEYS[i])
  local newer = true
  if current then
    local new_ts = tonumber(string.match(payload, '^%[(%-?%d+)'))
    local old_ts = tonumber(string.match(current, '^%[(%-?%d+)'))
    newer = old_ts == nil or new_ts >= old_ts
  else
    added = added + 1
  end
  if newer then
    redis.call('SET', KEYS[i], payload)
    written = written + 1
  end
end
redis.call('HINCRBY', meta, 'rows', added)
redis.call('HSET', meta, 'updated_at', ARGV[4])
return written
"""
)


def _glob_escape(text: str) -> str:
    """``text`` as a literal inside a Redis MATCH pattern."""
    return "".join("\\" + char if char in "\\*?[]" else char for char in text)


def split_url(url: str) -> tuple[str, str]:
    """(client URL, key prefix): ``?prefix=`` is modelfleet's, the other options are redis-py's."""
    parts = urlsplit(url)
    options = parse_qsl(parts.query, keep_blank_values=True)
    prefixes = [value for name, value in options if name == "prefix"]
    rest = urlencode([(name, value) for name, value in options if name != "prefix"])
    prefix = prefixes[-1] if prefixes else DEFAULT_PREFIX
    return urlunsplit(parts._replace(query=rest)), prefix


class RedisOnlineStore:
    """Latest feature values per entity in Redis; thread-safe (redis-py pools connections)."""

    def __init__(self, url: str) -> None:
        """Connect to ``redis://`` or ``rediss://`` ``host:port/db``; fail now if unreachable."""
        self.url = mask_url(url)
        client_url, self.prefix = split_url(url)
        self._closed = False
        with self._translate("connecting"):
            try:
                self._client: Any = redis.Redis.from_url(
                    client_url, socket_connect_timeout=5, socket_timeout=10
                )
            except ValueError as exc:
                raise OnlineStoreError(
                    f"invalid Redis online store URL {self.url} ({exc}); use "
                    "redis://host:port/db or rediss://host:port/db"
                ) from exc
            try:
                self._client.ping()
            except RedisError:
                self._client.close()
                raise
        self._write_script = self._client.register_script(_WRITE_LUA)

    @contextmanager
    def _translate(self, action: str) -> Iterator[None]:
        """Redis client errors become OnlineStoreError naming the URL (password hidden)."""
        if self._closed:
            raise OnlineStoreError(f"online store {self.url} is closed; open a new one")
        try:
            yield
        except (RedisConnectionError, RedisTimeoutError) as exc:
            raise OnlineStoreError(
                f"cannot reach Redis at {self.url} while {action} ({exc}); is the server "
                "running? check the host, port and password in the online store URL"
            ) from exc
        except RedisError as exc:
            raise OnlineStoreError(f"Redis at {self.url} failed while {action}: {exc}") from exc

    def _view_part(self, view: ViewKey) -> str:
        return f"{quote(view.name, safe='')}:{quote(view.version, safe='')}"

    def _meta_key(self, view: ViewKey) -> str:
        return f"{self.prefix}meta:{self._view_part(view)}"

    def _row_prefix(self, view: ViewKey) -> str:
        return f"{self.prefix}row:{self._view_part(view)}:"

    def _stored_columns(self, view: ViewKey) -> tuple[Column, ...] | None:
        text = self._client.hget(self._meta_key(view), "columns")
        return None if text is None else columns_from_json(text)

    def write(self, view: ViewKey, table: pa.Table) -> int:
        """Upsert rows, chunk by chunk; a stored row is replaced only by an equal or newer time."""
        batch = decode_table(view, table)
        with self._translate(f"writing {describe(view)}"):
            batch = conform(view, self._stored_columns(view), batch)
            meta, row_prefix = self._meta_key(view), self._row_prefix(view)
            head: list[str | int] = [
                columns_to_json(batch.columns),
                view.name,
                view.version,
                now_us(),
            ]
            keys = [row_prefix + key for key in batch.keys]
            payloads = [
                json.dumps([ts, *values], ensure_ascii=False, separators=(",", ":"))
                for _, ts, values in batch.rows()
            ]
            pipe = self._client.pipeline(transaction=False)
            for start in range(0, max(len(keys), 1), WRITE_CHUNK):
                end = start + WRITE_CHUNK
                self._write_script(
                    keys=[meta, *keys[start:end]], args=[*head, *payloads[start:end]], client=pipe
                )
            try:
                results = pipe.execute()
            except ResponseError as exc:
                if _COLUMNS_CHANGED not in str(exc):
                    raise
                conform(view, self._stored_columns(view), batch)
                raise OnlineStoreError(
                    f"the columns of {describe(view)} in {self.url} changed while writing "
                    "(another writer created or dropped it); retry the write"
                ) from exc
        return sum(int(count) for count in results)

    def read(
        self, view: ViewKey, columns: Sequence[str], keys: Sequence[str]
    ) -> list[OnlineRow | None]:
        """Rows for ``keys`` in order, in one round trip; all None for an unwritten view."""
        if not keys:
            return []
        distinct = unique(keys)
        row_prefix = self._row_prefix(view)
        with self._translate(f"reading {describe(view)}"):
            pipe = self._client.pipeline(transaction=False)
            pipe.hget(self._meta_key(view), "columns")
            for chunk in chunks(distinct, READ_CHUNK):
                pipe.mget([row_prefix + key for key in chunk])
            stored, *values = pipe.execute()
        if stored is None:
            return [None] * len(keys)
        wanted = positions(view, columns_from_json(stored), columns)
        found: dict[str, OnlineRow] = {}
        for key, payload in zip(distinct, (item for part in values for item in part), strict=True):
            if payload is not None:
                ts, *row = json.loads(payload)
                found[key] = OnlineRow(ts, tuple(row[p] for p in wanted))
        return [found.get(key) for key in keys]

    def set_watermark(self, view: ViewKey, watermark: int) -> None:
        """Record the newest materialized event time (also for a view never written)."""
        fields = {
            "name": view.name,
            "version": view.version,
            "watermark": watermark,
            "updated_at": now_us(),
        }
        with self._translate(f"setting the watermark of {describe(view)}"):
            self._client.hset(self._meta_key(view), mapping=fields)

    def views(self) -> list[MaterializedView]:
        """Every view version under this prefix, sorted by name then version."""
        with self._translate("listing views"):
            pattern = _glob_escape(f"{self.prefix}meta:") + "*"
            metas = list(self._client.scan_iter(match=pattern, count=500))
            pipe = self._client.pipeline(transaction=False)
            for key in metas:
                pipe.hgetall(key)
            hashes = pipe.execute()
        found = [_materialized(fields) for fields in hashes if b"name" in fields]
        return sorted(found, key=lambda item: (item.name, item.version))

    def drop(self, view: ViewKey) -> None:
        """Delete a view version: its rows in batches (SCAN + UNLINK), then its metadata."""
        with self._translate(f"dropping {describe(view)}"):
            pattern = _glob_escape(self._row_prefix(view)) + "*"
            batch: list[bytes] = []
            for key in self._client.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) >= 500:
                    self._client.unlink(*batch)
                    batch.clear()
            if batch:
                self._client.unlink(*batch)
            self._client.unlink(self._meta_key(view))

    def close(self) -> None:
        """Close the connection pool; later calls raise OnlineStoreError."""
        if not self._closed:
            self._closed = True
            self._client.close()


def _materialized(fields: dict[bytes, bytes]) -> MaterializedView:
    """A metadata hash as a :class:`MaterializedView`."""
    watermark = fields.get(b"watermark")
    updated_at = fields.get(b"updated_at")
    return MaterializedView(
        name=fields[b"name"].decode(),
        version=fields[b"version"].decode(),
        columns=tuple(name for name, _ in columns_from_json(fields.get(b"columns", b"[]"))),
        rows=int(fields.get(b"rows", b"0")),
        watermark=None if watermark is None else int(watermark),
        updated_at=to_datetime(None if updated_at is None else int(updated_at)),
    )
