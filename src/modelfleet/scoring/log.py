"""The prediction log: every answered request's rows, written in bulk by a background thread.

A request never waits for the database. :meth:`PredictionLog.submit` puts the request on a
bounded queue and returns; a writer thread takes whatever is queued (up to ``batch_rows`` rows,
or what arrived within ``flush_seconds``) and writes it in one transaction (one executemany).

Overload policy, stated and counted: when the queue is full (the store cannot keep up), the
new request's rows are **dropped from the log**, never from the answer; ``dropped`` counts
them and /metrics shows it. A batch the store refuses is retried three times with a growing
pause, then counted in ``failed`` and let go, so a store outage cannot grow memory without
bound. :meth:`close` (the server's shutdown, on SIGTERM) writes everything still queued.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Final

import numpy as np
import orjson

from modelfleet.errors import ModelfleetError
from modelfleet.scoring.service import Prediction
from modelfleet.store import MetadataStore
from modelfleet.store.request_errors import RequestErrorRow

log = logging.getLogger("modelfleet.scoring.log")

DEFAULT_QUEUE_REQUESTS: Final = 10_000
DEFAULT_BATCH_ROWS: Final = 1_000  # short writes: the writer never holds the GIL for long
DEFAULT_FLUSH_SECONDS: Final = 0.2
RETRIES: Final = 3


@dataclass(frozen=True)
class LogStats:
    """What the log has done: rows written, requests waiting, dropped and failed rows."""

    queued: int
    written: int
    dropped: int
    failed: int


@dataclass(frozen=True, eq=False)
class _Entry:
    prediction: Prediction
    fleet: str
    tenant: str
    records: Sequence[Mapping[str, Any]]
    logged_at: datetime


@dataclass(frozen=True, eq=False)
class _Refused:
    row: RequestErrorRow
    records: tuple[()] = ()  # no rows to log; counts as one in a batch


def _utc(stamps: np.ndarray) -> list[datetime]:
    """datetime64 values as aware UTC datetimes (the store refuses naive ones)."""
    naive = stamps.astype("datetime64[us]").astype(object)  # one C-level conversion
    return [value.replace(tzinfo=UTC) for value in naive]


def rows_of(entry: _Entry) -> list[tuple[object, ...]]:
    """The store rows of one answered request, in record order (``predictions.COLUMNS``)."""
    p = entry.prediction
    latency = p.seconds * 1000.0
    head = (p.request_id,)
    tail = (entry.fleet, entry.tenant, p.environment, p.version, p.arm)
    values = [float(v) if math.isfinite(v) else None for v in p.values.tolist()]
    return [
        (*head, position, *tail, ts, value, _json(record), latency, entry.logged_at)
        for position, (record, ts, value) in enumerate(
            zip(entry.records, _utc(p.timestamps), values, strict=True)
        )
    ]


def _json(record: Any) -> str:
    """A record as compact JSON text (anything JSON cannot hold as its text)."""
    return orjson.dumps(record, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


class PredictionLog:
    """A bounded queue of answered requests and the thread that writes them to ``store``."""

    def __init__(
        self,
        store: MetadataStore,
        *,
        max_queue: int = DEFAULT_QUEUE_REQUESTS,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        flush_seconds: float = DEFAULT_FLUSH_SECONDS,
    ) -> None:
        self._store = store
        self._queue: queue.Queue[_Entry | _Refused | None] = queue.Queue(maxsize=max_queue)
        self._batch_rows, self._flush_seconds = batch_rows, flush_seconds
        self._lock = threading.Lock()
        self._written = self._dropped = self._failed = 0
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()

    def submit(
        self, fleet: str, tenant: str, prediction: Prediction, records: Sequence[Any]
    ) -> bool:
        """Queue one answered request; False (and counted) when the queue is full or closed."""
        entry = _Entry(prediction, fleet, tenant, records, datetime.now(UTC))
        if not self._closed:
            try:
                self._queue.put_nowait(entry)
                return True
            except queue.Full:
                pass
        with self._lock:
            self._dropped += len(records)
        return False

    def submit_error(
        self, fleet: str, tenant: str, environment: str, request_id: str, status: int, error: str
    ) -> bool:
        """Queue one refused (4xx) or failed (5xx) request; False when the queue is full."""
        row = RequestErrorRow(
            request_id, fleet, tenant, environment, status, error[:100], datetime.now(UTC)
        )
        if not self._closed:
            try:
                self._queue.put_nowait(_Refused(row))
                return True
            except queue.Full:
                pass
        with self._lock:
            self._dropped += 1
        return False

    def close(self, timeout: float = 30.0) -> None:
        """Write everything queued, then stop the writer (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)  # blocks only while the queue is full, i.e. until it drains
        self._thread.join(timeout)
        late = 0  # submitted while closing, after the stop mark: counted, not lost silently
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            late += len(item.records) if item is not None else 0
        with self._lock:
            self._dropped += late

    def stats(self) -> LogStats:
        """Counts for /metrics."""
        with self._lock:
            return LogStats(self._queue.qsize(), self._written, self._dropped, self._failed)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[_Entry | _Refused] = []
            rows = 0
            first = self._queue.get()
            if first is None:
                break
            batch.append(first)
            rows += len(first.records) or 1
            deadline = time.monotonic() + self._flush_seconds
            while rows < self._batch_rows:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
                rows += len(item.records) or 1
            self._write(batch)

    def _write(self, batch: Sequence[_Entry | _Refused]) -> None:
        rows = [row for entry in batch if isinstance(entry, _Entry) for row in rows_of(entry)]
        refused = [entry.row for entry in batch if isinstance(entry, _Refused)]
        # Each table in its own transaction and retry: a retry never writes rows twice.
        if rows:
            self._retrying(
                "prediction", len(rows), partial(self._store.add_prediction_tuples, rows)
            )
        if refused:
            write = partial(self._store.add_request_errors, refused)
            self._retrying("request error", len(refused), write)

    def _retrying(self, what: str, count: int, write: Callable[[], None]) -> None:
        """Write one batch, retrying with a growing pause; counted as written or failed."""
        for attempt in range(RETRIES + 1):
            try:
                write()
            except ModelfleetError as exc:
                if attempt == RETRIES:
                    log.error("prediction log: %d %s row(s) not written: %s", count, what, exc)
                    with self._lock:
                        self._failed += count
                    return
                time.sleep(0.1 * 2**attempt)
            else:
                with self._lock:
                    self._written += count
                return
