"""The runner's heartbeat: a thread renews the fleet run's lease while the run lives.

It opens its own tracker (its own database connections: SQLite connections must stay in their
thread) and renews every ``HEARTBEAT_SECONDS``; a failed renewal is retried at the next beat,
never raised into the run. When the run ends the thread stops before the run is finished.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from modelfleet.errors import ModelfleetError
from modelfleet.store.urls import parse_store_url
from modelfleet.tracking.lease import HEARTBEAT_SECONDS
from modelfleet.tracking.tracker import Tracker

log = logging.getLogger("modelfleet.pipeline")


class Heartbeat:
    """Renews ``fleet_run_id``'s lease in the background (a context manager)."""

    def __init__(
        self, store_url: str, fleet_run_id: str, *, every: float = HEARTBEAT_SECONDS
    ) -> None:
        self.store_url, self.fleet_run_id, self.every = store_url, fleet_run_id, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="modelfleet-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        # An in-memory store dies with this process, so there is no lease to keep (and a
        # second connection would open a different, empty database).
        if not parse_store_url(self.store_url).is_memory:
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.every + 5)

    def _beat(self) -> None:
        tracker: Tracker | None = None
        try:
            while not self._stop.wait(self.every):
                try:
                    tracker = tracker or Tracker.open(self.store_url)
                    if not tracker.renew_lease(self.fleet_run_id):
                        return  # no longer running (finished, or marked interrupted)
                except ModelfleetError as exc:  # the store is down: try again next beat
                    log.warning("could not renew fleet run %s: %s", self.fleet_run_id, exc)
        finally:
            if tracker is not None:
                tracker.close()
