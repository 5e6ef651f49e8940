"""A fleet run is a lease: an owner (host, pid) and a heartbeat; a dead owner cannot hold it.

Pure rules over records, so the tracker, the runner, ``runs fleets`` and ``doctor`` agree on
one definition of *stale*: a run still marked ``running`` whose owner is gone. On the owner's
own host that is known at once (its pid no longer runs); elsewhere, or when the pid was reused,
once its heartbeat is older than the lease.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from modelfleet.tracking.records import FleetRunRecord

LEASE_SECONDS: Final = 60.0  # a heartbeat older than this means the owner is gone
HEARTBEAT_SECONDS: Final = 10.0  # how often a running fleet run renews its lease


@dataclass(frozen=True)
class Owner:
    """The process holding a fleet run."""

    host: str
    pid: int

    @classmethod
    def this_process(cls) -> Owner:
        """This process on this host."""
        return cls(socket.gethostname(), os.getpid())


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (a zombie, killed but not reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    try:
        # The state letter follows the parenthesised command name, which may contain spaces.
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (not Linux): existence is all we can tell
    return state not in ("Z", "X")


def is_stale(
    run: FleetRunRecord,
    *,
    now: datetime,
    here: Owner,
    alive: Callable[[int], bool] = process_alive,
    lease_seconds: float = LEASE_SECONDS,
) -> bool:
    """Whether ``run`` is marked running but its owner is gone."""
    if run.status != "running":
        return False
    if run.owner_host == here.host and run.owner_pid is not None:
        if run.owner_pid == here.pid:
            return False
        if not alive(run.owner_pid):
            return True
    last = run.heartbeat_at or run.started_at
    return now - last > timedelta(seconds=lease_seconds)
