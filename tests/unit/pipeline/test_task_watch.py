"""Measuring a task and judging it against its limits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from modelfleet.pipeline.task_watch import (
    Ledger,
    TaskLimits,
    TaskUsage,
    limits_of,
    read_ledger,
    run_watched,
)

MIB = 1 << 20


def allocate(megabytes: int) -> int:
    block = np.ones(megabytes * MIB // 8)
    return int(block.size)


def test_a_memory_limit_is_exceeded_above_it_only() -> None:
    limits = TaskLimits(memory_mb=100)

    assert limits.exceeded(100 * MIB, 0.0) is None
    assert "memory limit of 100 MB (reached 101 MB)" in (limits.exceeded(101 * MIB, 0.0) or "")


def test_a_time_limit_names_the_setting_to_raise() -> None:
    reason = TaskLimits(seconds=5).exceeded(0, 5.5) or ""

    assert "time limit of 5 s" in reason and "limits.seconds" in reason


def test_no_limits_are_never_exceeded() -> None:
    assert TaskLimits().exceeded(1 << 40, 1e9) is None


def test_usage_becomes_resources_in_mib_and_seconds() -> None:
    usage = TaskUsage(peak_rss_bytes=300 * MIB, cpu_seconds=1.23456, exit_signal=9)

    assert usage.as_resources() == {"peak_rss_mb": 300.0, "cpu_seconds": 1.235, "exit_signal": 9.0}


def test_run_watched_reports_the_peak_memory_of_the_task() -> None:
    before = run_watched(allocate, 1)[1].peak_rss_bytes or 0

    result, usage = run_watched(allocate, 200)

    assert result == 200 * MIB // 8
    assert (usage.peak_rss_bytes or 0) >= before + 150 * MIB
    assert (usage.cpu_seconds or 0) > 0


def test_limits_come_from_an_items_limits_attribute_only_when_typed() -> None:
    class Task:
        limits = TaskLimits(seconds=1)

    class Other:
        limits = {"seconds": 1}

    assert limits_of(Task()) == TaskLimits(seconds=1)
    assert limits_of(Other()) is None
    assert limits_of(3) is None


def test_the_ledger_skips_unreadable_entries(tmp_path: Path) -> None:
    (tmp_path / "10.json").write_text(json.dumps({"pid": 10, "token": 3, "peak": 5}))
    (tmp_path / "11.json").write_text("{not json")
    (tmp_path / "12.json").write_text(json.dumps({"pid": 12}))

    entries = read_ledger(tmp_path)

    assert list(entries) == [10]
    assert (entries[10].token, entries[10].verdict) == (3, None)


def test_a_ledger_folder_is_removed_when_the_run_ends() -> None:
    with Ledger() as ledger:
        folder = Path(ledger.path)
        (folder / "1.json").write_text("{}")
        assert folder.is_dir()

    assert not folder.exists()


def test_a_ledger_left_by_a_dead_runner_is_removed_on_the_next_start(tmp_path: Path) -> None:
    import tempfile

    stale = Path(tempfile.gettempdir()) / f"{Ledger.PREFIX}999999999-left"
    stale.mkdir(exist_ok=True)

    with Ledger():
        pass

    assert not stale.exists()
