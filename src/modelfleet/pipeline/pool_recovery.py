"""Who is to blame when a process pool breaks: the pure rules, kept apart from the pool.

A broken pool fails every task in flight at once and cannot say which one killed it. What is
left to go on: each worker's exit code (a signal, our own over-limit exit, or the SIGTERM the
pool sends the survivors) and the ledger entry each worker wrote for the task it ran
(:mod:`modelfleet.pipeline.task_watch`). From those, every task in flight is either *failed*
(it passed a limit: retrying cannot help), a *suspect* (its worker died by itself: re-run alone,
so a second death convicts it) or a *bystander* (its worker was ended because another died, or
the fork server died under all of them: re-run as normal).
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from dataclasses import dataclass, field

from modelfleet.pipeline.task_watch import LedgerEntry, TaskUsage

WORKER_DIED = "worker process died"


@dataclass(frozen=True)
class Verdicts:
    """The fate of each in-flight token after a pool broke."""

    failed: Mapping[int, tuple[str, TaskUsage]] = field(default_factory=dict)
    suspects: frozenset[int] = frozenset()
    bystanders: frozenset[int] = frozenset()
    deaths: Mapping[int, TaskUsage] = field(default_factory=dict)  # suspects: how each died


def signal_name(number: int) -> str:
    """``SIGKILL`` for 9; the number itself when the platform has no name for it."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def died_by_itself(exitcode: int | None) -> bool:
    """Whether a worker's exit code says it died of its own (not ended by the pool)."""
    return exitcode is not None and exitcode != 0 and exitcode != -signal.SIGTERM


def classify(
    in_flight: frozenset[int],
    ledger: Mapping[int, LedgerEntry],
    exitcodes: Mapping[int, int | None],
    *,
    fork_server_died: bool = False,
) -> Verdicts:
    """Sort the tokens in flight when a pool broke into failed, suspects and bystanders.

    ``ledger`` maps worker pid to its last entry, ``exitcodes`` each of the broken pool's
    workers to its exit code.
    When nothing points at a culprit, every task in flight is a suspect (the old, safe rule).
    """
    # Only the broken pool's own workers count: a worker of an earlier pool may have left an
    # entry for the same token (it ran it before that pool broke), and which of the two a
    # folder listing yields first is arbitrary.
    running = {e.token: e for e in ledger.values() if e.token in in_flight and e.pid in exitcodes}
    failed: dict[int, tuple[str, TaskUsage]] = {}
    suspects: set[int] = set()
    deaths: dict[int, TaskUsage] = {}
    for token, entry in running.items():
        if entry.verdict is not None:
            failed[token] = (entry.verdict, TaskUsage(peak_rss_bytes=entry.peak_rss_bytes))
        elif not fork_server_died and died_by_itself(exitcodes.get(entry.pid)):
            suspects.add(token)
            code = exitcodes.get(entry.pid) or 0
            deaths[token] = TaskUsage(
                peak_rss_bytes=entry.peak_rss_bytes,
                exit_signal=-code if code < 0 else None,
                exit_code=code if code > 0 else None,
            )
    others = in_flight - failed.keys() - suspects
    if not failed and not suspects and not fork_server_died:
        return Verdicts(suspects=in_flight)
    return Verdicts(failed, frozenset(suspects), frozenset(others), deaths)


def death_reason(usage: TaskUsage | None) -> str:
    """Why a task failed after its worker died again when it ran alone."""
    usage = usage or TaskUsage()
    how = "killed or out of memory"
    if usage.exit_signal is not None:
        name = signal_name(usage.exit_signal)
        how = {
            "SIGKILL": "SIGKILL: killed, most likely by the out-of-memory killer",
            "SIGSEGV": "SIGSEGV: a crash in native code",
            "SIGABRT": "SIGABRT: native code aborted",
        }.get(name, name)
    elif usage.exit_code is not None:
        how = f"it exited with code {usage.exit_code}"
    peak = ""
    if usage.peak_rss_bytes:
        peak = f"; its worker had reached {usage.peak_rss_bytes / (1 << 20):,.0f} MB"
    return (
        f"{WORKER_DIED} ({how}) while training it, again when it ran alone{peak}; "
        "set limits.memory_mb to fail it sooner, or give it less data"
    )
