"""What one task cost (peak memory, CPU seconds) and the limits it must stay within.

A task runs inside :func:`run_watched`, which measures it and, in a pool worker, tells the
worker's guard thread which task runs now. The guard samples the worker's memory every
:data:`TICK_SECONDS`; a task past its memory or time limit ends its own worker (native code
such as a LightGBM fit cannot be interrupted any other way) after writing why to the pool's
*ledger*, a folder with one small JSON file per worker. The runner reads the ledger when a
worker dies, so even a worker killed by the OOM killer is reported with the task it ran and the
memory it had reached.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

from modelfleet.tracking.lease import process_alive

T = TypeVar("T")
R = TypeVar("R")

TICK_SECONDS: Final = 0.1
EXIT_OVER_LIMIT: Final = 71  # the worker ended itself: its task passed a limit
_LEDGER_EVERY_SECONDS: Final = 1.0
_MIB: Final = 1 << 20


@dataclass(frozen=True)
class TaskLimits:
    """Per-task caps: resident memory in MiB and wall-clock seconds (None: no cap)."""

    memory_mb: float | None = None
    seconds: float | None = None

    def exceeded(self, rss_bytes: int, elapsed: float) -> str | None:
        """Why a task with ``rss_bytes`` resident after ``elapsed`` seconds broke a limit."""
        if self.memory_mb is not None and rss_bytes > self.memory_mb * _MIB:
            return (
                f"exceeded its memory limit of {self.memory_mb:,.0f} MB "
                f"(reached {rss_bytes / _MIB:,.0f} MB); raise limits.memory_mb or give the "
                "tenant less data"
            )
        if self.seconds is not None and elapsed > self.seconds:
            return (
                f"exceeded its time limit of {self.seconds:,.0f} s; raise limits.seconds or "
                "lower tuning.trials"
            )
        return None


@dataclass(frozen=True)
class TaskUsage:
    """What a task cost; ``exit_signal`` is set when its worker was killed by a signal."""

    peak_rss_bytes: int | None = None
    cpu_seconds: float | None = None
    exit_signal: int | None = None
    exit_code: int | None = None  # a worker that exited by itself (not by a signal)

    def as_resources(self) -> dict[str, float]:
        """The usage as a run record's ``resources`` map (MiB, seconds, signal number)."""
        values: dict[str, float] = {}
        if self.peak_rss_bytes is not None:
            values["peak_rss_mb"] = round(self.peak_rss_bytes / _MIB, 1)
        if self.cpu_seconds is not None:
            values["cpu_seconds"] = round(self.cpu_seconds, 3)
        if self.exit_signal is not None:
            values["exit_signal"] = float(self.exit_signal)
        return values


@dataclass(frozen=True)
class LedgerEntry:
    """What a worker last wrote about the task it runs: its token, peak memory, verdict."""

    pid: int
    token: int
    peak_rss_bytes: int
    verdict: str | None = None


class Ledger:
    """A fresh ledger folder for one pool run, removed with everything in it afterwards.

    Folders left by a runner that was killed (its pid is in the name) are removed on the
    next start, so crashes do not pile up temp folders.
    """

    PREFIX: Final = "modelfleet-ledger-"

    def __enter__(self) -> Ledger:
        _remove_dead_ledgers()
        self.path = tempfile.mkdtemp(prefix=f"{self.PREFIX}{os.getpid()}-")
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _remove_dead_ledgers() -> None:
    for folder in Path(tempfile.gettempdir()).glob(f"{Ledger.PREFIX}*"):
        pid = folder.name.removeprefix(Ledger.PREFIX).partition("-")[0]
        if pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def limits_of(item: object) -> TaskLimits | None:
    """The limits an item carries in a ``limits`` attribute (a tenant task does), if any."""
    limits = getattr(item, "limits", None)
    return limits if isinstance(limits, TaskLimits) else None


def read_ledger(folder: str | Path) -> dict[int, LedgerEntry]:
    """Every worker's last entry in ``folder``, by pid; unreadable files are skipped."""
    entries: dict[int, LedgerEntry] = {}
    for path in Path(folder).glob("*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entry = LedgerEntry(
                int(data["pid"]), int(data["token"]), int(data["peak"]), data.get("verdict")
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a worker killed mid-write leaves no file (writes are renames)
        entries[entry.pid] = entry
    return entries


def _current_rss() -> int:
    """This process's resident memory in bytes (Linux /proc; elsewhere the peak so far)."""
    try:
        with Path("/proc/self/statm").open("rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB else
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _reset_kernel_peak() -> bool:
    """Reset this process's peak RSS (Linux ``clear_refs``), so it measures one task only."""
    try:
        with Path("/proc/self/clear_refs").open("w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def _kernel_peak() -> int | None:
    """The kernel's peak RSS of this process (VmHWM) in bytes, if it tells."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


class _Running:
    """The task this process runs now, as the guard thread sees it."""

    def __init__(self, token: int, limits: TaskLimits | None, ledger: str | None) -> None:
        self.token = token
        self.limits = limits
        self.ledger = ledger
        self.started = time.monotonic()
        self.kernel_peak = _reset_kernel_peak()
        self.peak = _current_rss()
        self.written_at = 0.0

    def sample(self) -> int:
        """Note the current memory; the peak seen so far."""
        self.peak = max(self.peak, _current_rss())
        if self.kernel_peak:
            self.peak = max(self.peak, _kernel_peak() or 0)
        return self.peak

    def write(self, verdict: str | None = None) -> None:
        """Write this task's ledger entry (atomically: a temp file renamed over the last)."""
        if self.ledger is None:
            return
        pid = os.getpid()
        path = Path(self.ledger) / f"{pid}.json"
        temp = path.with_suffix(".tmp")
        body = {"pid": pid, "token": self.token, "peak": self.peak, "verdict": verdict}
        try:
            temp.write_text(json.dumps(body), encoding="utf-8")
            temp.replace(path)
        except OSError:
            return  # the ledger is a courtesy; losing it only loses detail in an error
        self.written_at = time.monotonic()


_current: _Running | None = None
_lock = threading.Lock()


def run_watched(
    fn: Callable[[T], R], item: T, token: int = 0, ledger: str | None = None
) -> tuple[R, TaskUsage]:
    """Run ``fn(item)`` and measure it; in a pool worker the guard enforces its limits."""
    global _current
    running = _Running(token, limits_of(item), ledger)
    running.write()
    cpu = time.process_time()
    with _lock:
        _current = running
    try:
        result = fn(item)
    finally:
        with _lock:
            _current = None
    usage = TaskUsage(peak_rss_bytes=running.sample(), cpu_seconds=time.process_time() - cpu)
    return result, usage


def guard_tick() -> None:
    """Called by a worker's guard thread every tick: sample memory, enforce the limits."""
    with _lock:
        running = _current
    if running is None:
        return
    peak = running.sample()
    limits = running.limits
    verdict = None if limits is None else limits.exceeded(peak, time.monotonic() - running.started)
    if verdict is not None:
        running.write(verdict)
        os._exit(EXIT_OVER_LIMIT)  # the runner reads the verdict from the ledger
    if time.monotonic() - running.written_at >= _LEDGER_EVERY_SECONDS:
        running.write()
