"""Content fingerprints per tenant: stable under row order, sensitive to any value."""

from __future__ import annotations

import pyarrow as pa

from modelfleet.data.fingerprint import fingerprints

COLUMNS = ["date", "sales", "note"]


def _table(sales: list[float | None], notes: list[str | None] | None = None) -> pa.Table:
    n = len(sales)
    return pa.table(
        {
            "_tenant": ["a"] * (n - 1) + ["b"],
            "date": pa.array(list(range(n)), pa.int64()).cast(pa.timestamp("s")),
            "sales": pa.array(sales, pa.float64()),
            "note": pa.array(notes or ["x"] * n, pa.string()),
        }
    )


def test_fingerprints_are_sha256_hex_per_tenant() -> None:
    prints = fingerprints(_table([1.0, 2.0, 3.0]), COLUMNS, "date")
    assert set(prints) == {"a", "b"}
    assert all(len(p) == 64 and int(p, 16) >= 0 for p in prints.values())


def test_row_order_does_not_change_the_fingerprint() -> None:
    table = _table([1.0, 2.0, 3.0])
    shuffled = table.take([2, 1, 0])
    assert fingerprints(table, COLUMNS, "date") == fingerprints(shuffled, COLUMNS, "date")


def test_a_changed_value_changes_only_its_tenant() -> None:
    before = fingerprints(_table([1.0, 2.0, 3.0]), COLUMNS, "date")
    after = fingerprints(_table([1.0, 2.5, 3.0]), COLUMNS, "date")
    assert before["a"] != after["a"] and before["b"] == after["b"]


def test_null_and_empty_text_differ() -> None:
    empty = fingerprints(_table([1.0, 2.0], ["", "x"]), COLUMNS, "date")
    null = fingerprints(_table([1.0, 2.0], [None, "x"]), COLUMNS, "date")
    assert empty["a"] != null["a"]


def test_column_types_are_part_of_the_fingerprint() -> None:
    table = _table([1.0, 2.0])
    as_float = table.set_column(3, "note", pa.array([1.0, 2.0]))
    as_text = table.set_column(3, "note", pa.array(["1.0", "2.0"]))
    assert fingerprints(as_float, COLUMNS, "date") != fingerprints(as_text, COLUMNS, "date")
