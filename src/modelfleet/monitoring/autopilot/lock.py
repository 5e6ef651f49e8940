"""One autopilot at a time per fleet and environment: a lease in the metadata store.

The holder is named ``host:pid:token``. A pass that finds the lock held waits for no one: it
stops with a message naming the holder and when its lease ends. A lease whose holder died is
taken over once it expires, or at once by a pass on the same host that sees the process gone.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from modelfleet.errors import ConflictError
from modelfleet.store import MetadataStore
from modelfleet.store.autopilot import LockRow


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_is_gone(owner: str) -> bool:
    """Whether ``owner`` is a process of this host that no longer runs."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False


@contextmanager
def fleet_lock(
    store: MetadataStore, fleet: str, environment: str, lease: timedelta, now: datetime
) -> Iterator[str]:
    """Hold the autopilot lock of ``fleet`` in ``environment`` for the block; its owner name."""
    owner = _owner()
    row = LockRow(fleet, environment, owner, now, now + lease)
    held = store.take_autopilot_lock(row)
    if held is not None and holder_is_gone(held.owner):
        held = store.take_autopilot_lock(row, steal_from=held.owner)
    if held is not None:
        raise ConflictError(
            f"the autopilot of {fleet}@{environment} is already running: {held.owner} holds "
            f"its lock since {held.acquired_at.isoformat(timespec='seconds')}, until "
            f"{held.expires_at.isoformat(timespec='seconds')}; run again after it finishes "
            "(a lock whose holder died is taken over when it expires)"
        )
    try:
        yield owner
    finally:
        store.release_autopilot_lock(fleet, environment, owner)
