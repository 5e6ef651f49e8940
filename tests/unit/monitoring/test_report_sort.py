"""The report's table sort script, run by Node.js over a table of the page's own shape.

Node has no DOM, so the few DOM calls the script makes (querySelectorAll, closest, tBodies,
rows, cells, dataset, appendChild) are given by a small stand-in below: what is tested is the
script's ordering (numbers by value, text in natural order, dashes last or first, a second
click reversing), not a browser."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from modelfleet.monitoring.report import SORT_SCRIPT

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")

_DOM = """
function cell(text, v) { return {textContent: text, dataset: v === null ? {} : {v: v}}; }
const rows = ROWS.map(r => ({cells: r.map(c => cell(c[0], c[1]))}));
const body = {rows: rows, appendChild(r) {
  this.rows.splice(this.rows.indexOf(r), 1); this.rows.push(r);
}};
const table = {tBodies: [body]};
const headers = [0, 1].map(() => ({dataset: {}, listeners: [],
  addEventListener(kind, f) { this.listeners.push(f); }, closest() { return table; }}));
globalThis.document = {querySelectorAll(q) { return q === "table.fleet th" ? headers : []; }};
"""

_RUN = """
const order = [];
for (const column of CLICKS) {
  headers[column].listeners.forEach(f => f());
  order.push(body.rows.map(r => r.cells[0].textContent));
}
console.log(JSON.stringify(order));
"""


def _clicks(rows: list[list[tuple[str, str | None]]], clicks: list[int]) -> list[list[str]]:
    """The tenant column after each click on header ``clicks[i]``."""
    program = (
        f"const ROWS = {json.dumps(rows)};\nconst CLICKS = {json.dumps(clicks)};\n"
        + _DOM
        + SORT_SCRIPT
        + _RUN
    )
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", program], capture_output=True, text=True, timeout=30, check=True
    )
    result: list[list[str]] = json.loads(done.stdout)
    return result


def _table(*rows: tuple[str, str]) -> list[list[tuple[str, str | None]]]:
    """Rows of (tenant, WMAPE sort key); the tenant cell has no key, like the page's."""
    return [[(tenant, None), (value or "-", value)] for tenant, value in rows]


def test_a_click_on_a_number_column_sorts_by_value_not_by_text() -> None:
    table = _table(("a", "10"), ("b", "9"), ("c", "0.5"))

    assert _clicks(table, [1]) == [["c", "b", "a"]]


def test_a_second_click_reverses_the_order() -> None:
    table = _table(("a", "10"), ("b", "9"), ("c", "0.5"))

    assert _clicks(table, [1, 1])[1] == ["a", "b", "c"]


def test_tenant_ids_sort_in_natural_order() -> None:
    table = _table(("store-10", "1"), ("store-2", "1"), ("store-1", "1"))

    assert _clicks(table, [0]) == [["store-1", "store-2", "store-10"]]


def test_a_missing_number_sorts_before_the_numbers_and_after_them_reversed() -> None:
    table = _table(("a", "0.3"), ("b", ""), ("c", "0.1"))

    first, second = _clicks(table, [1, 1])

    assert first == ["b", "c", "a"] and second == ["a", "c", "b"]
