"""Workers never outlive the process that started them.

A worker of the process pool is a child of the fork server, not of the runner, so when the
runner is killed (``kill -9``, the OOM killer) nothing tells the worker, and a tenant's fit could
go on for minutes holding gigabytes. Each worker therefore starts a watchdog thread that looks
for the runner every half second and ends the worker at once when the runner is gone; on Linux
the worker also asks the kernel for SIGKILL should its own parent (the fork server) die. With
the workers gone the fork server has no clients left and exits by itself.

The same thread samples the running task's memory and enforces its limits
(:func:`modelfleet.pipeline.task_watch.guard_tick`).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from typing import Final

from modelfleet.pipeline.task_watch import TICK_SECONDS, guard_tick
from modelfleet.tracking.lease import process_alive

WATCH_SECONDS: Final = 0.5
EXIT_PARENT_GONE: Final = 70  # EX_SOFTWARE: the worker ended itself, not by its own failure
_PR_SET_PDEATHSIG: Final = 1


def init_worker(runner_pid: int) -> None:
    """Run in each new worker: Ctrl-C is the runner's to handle, and the runner is watched."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    watcher = threading.Thread(
        target=_watch, args=(runner_pid,), name="modelfleet-runner-watch", daemon=True
    )
    watcher.start()


def _watch(pid: int) -> None:
    ticks_per_look = max(1, round(WATCH_SECONDS / TICK_SECONDS))
    tick = 0
    while tick % ticks_per_look or process_alive(pid):
        guard_tick()
        time.sleep(TICK_SECONDS)
        tick += 1
    os._exit(EXIT_PARENT_GONE)  # no cleanup to run: results go to the runner, which is gone


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when its parent exits (a no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: the watchdog still covers the runner
        return
