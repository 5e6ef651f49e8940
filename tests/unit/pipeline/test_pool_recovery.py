"""Who is to blame when a pool breaks: the pure rules over exit codes and ledger entries."""

from __future__ import annotations

import signal

from modelfleet.pipeline.pool_recovery import classify, death_reason, died_by_itself
from modelfleet.pipeline.task_watch import LedgerEntry, TaskUsage

TERM = -signal.SIGTERM
KILL = -signal.SIGKILL


def entries(*rows: tuple[int, int, str | None]) -> dict[int, LedgerEntry]:
    return {pid: LedgerEntry(pid, token, 100 << 20, verdict) for pid, token, verdict in rows}


def test_a_worker_ended_by_the_pool_did_not_die_by_itself() -> None:
    assert [died_by_itself(code) for code in (None, 0, TERM, KILL, 13)] == [
        False,
        False,
        False,
        True,
        True,
    ]


def test_the_task_on_the_killed_worker_is_the_suspect_and_the_rest_bystanders() -> None:
    verdicts = classify(
        frozenset({1, 2, 3}), entries((10, 1, None), (11, 2, None)), {10: KILL, 11: TERM}
    )

    assert (verdicts.suspects, verdicts.bystanders) == (frozenset({1}), frozenset({2, 3}))
    assert verdicts.deaths[1].exit_signal == signal.SIGKILL


def test_a_task_past_its_limit_fails_and_nobody_else_is_suspected() -> None:
    verdicts = classify(
        frozenset({1, 2}), entries((10, 1, "exceeded its time limit"), (11, 2, None)), {10: 71}
    )

    assert dict(verdicts.failed)[1][0] == "exceeded its time limit"
    assert (verdicts.suspects, verdicts.bystanders) == (frozenset(), frozenset({2}))


def test_when_the_fork_server_died_every_task_is_a_bystander() -> None:
    verdicts = classify(
        frozenset({1, 2}),
        entries((10, 1, None), (11, 2, None)),
        {10: KILL, 11: KILL},
        fork_server_died=True,
    )

    assert (verdicts.suspects, verdicts.bystanders) == (frozenset(), frozenset({1, 2}))


def test_with_no_clue_every_task_in_flight_is_a_suspect() -> None:
    verdicts = classify(frozenset({1, 2}), {}, {10: TERM})

    assert verdicts.suspects == frozenset({1, 2})


def test_an_old_ledger_entry_of_a_finished_task_is_ignored() -> None:
    verdicts = classify(frozenset({5}), entries((10, 4, None)), {10: KILL})

    assert verdicts.suspects == frozenset({5})  # no clue about 5: suspected, not convicted


def test_an_entry_left_by_a_worker_of_an_earlier_pool_is_ignored() -> None:
    # Token 1 ran on pid 9 before an earlier pool broke, then alone on pid 10, which died.
    ledger = {10: LedgerEntry(10, 1, 0), 9: LedgerEntry(9, 1, 0)}

    verdicts = classify(frozenset({1}), ledger, {10: KILL})

    assert verdicts.deaths[1].exit_signal == signal.SIGKILL


def test_a_death_reason_names_the_signal_and_the_memory_reached() -> None:
    reason = death_reason(TaskUsage(peak_rss_bytes=812 << 20, exit_signal=signal.SIGKILL))

    assert "worker process died (SIGKILL: killed, most likely by the out-of-memory" in reason
    assert "812 MB" in reason
    assert "limits.memory_mb" in reason


def test_a_death_reason_without_details_still_says_the_worker_died() -> None:
    assert death_reason(None).startswith("worker process died (killed or out of memory)")


def test_a_worker_that_exited_by_itself_is_reported_with_its_exit_code() -> None:
    verdicts = classify(frozenset({1}), entries((10, 1, None)), {10: 13})

    assert "it exited with code 13" in death_reason(verdicts.deaths[1])
