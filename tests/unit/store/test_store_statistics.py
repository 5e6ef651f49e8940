"""When the registry's SQLite planner statistics are due: each time a table doubles."""

from __future__ import annotations

from modelfleet.store.registry.search import STATISTICS_FLOOR, statistics_due


def test_rows_below_the_floor_never_make_statistics_due() -> None:
    assert not statistics_due(1, STATISTICS_FLOOR - 1)
    assert not statistics_due(STATISTICS_FLOOR - 1, STATISTICS_FLOOR - 1)


def test_statistics_are_due_each_time_the_row_ids_pass_a_power_of_two() -> None:
    assert statistics_due(STATISTICS_FLOOR, STATISTICS_FLOOR)  # one row at a time
    assert statistics_due(1001, 1100)  # a batch across the floor
    assert statistics_due(1, 5000)  # one batch across several doublings: once is enough
    assert not statistics_due(STATISTICS_FLOOR + 1, 2 * STATISTICS_FLOOR - 1)
    assert statistics_due(2 * STATISTICS_FLOOR, 2 * STATISTICS_FLOOR)
    assert statistics_due(4000, 4100)


def test_between_doublings_no_row_makes_statistics_due() -> None:
    due = [rowid for rowid in range(1, 10_000) if statistics_due(rowid, rowid)]

    assert due == [1024, 2048, 4096, 8192]
