"""Time the PII policies: a source table at ingest and one request's records at serving.

Synthetic columns only (generated here, nothing fetched): ``--rows`` e-mail addresses, all
distinct (the worst case for the hash, which runs HMAC once per distinct value) or drawn from
1,000 distinct ones (a static column repeated over dates), hashed or masked by
``modelfleet.data.pii.Scrubber.table``; and a 500-record request scrubbed by
``Scrubber.records``, as the prediction server does per request. The fastest of ``--repeat``
runs is printed, with the time of the column's plain ``trim`` (the floor any pass over the
column pays) beside it.

Run (from the repository root)::

    .venv/bin/python benchmarks/bench_pii.py
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import _benchlib as bl
from modelfleet.config.spec import SourceSpec
from modelfleet.data.pii import Scrubber

KEY = b"benchmark-key-0123456789abcdef"


def _best(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv: Sequence[str] | None = None) -> int:
    """Time each case, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    source = SourceSpec(name="sales", path="sales.csv")
    distinct = pa.array([f"user{i}@example.org" for i in range(args.rows)])
    repeated = pc.take(
        pa.array([f"user{i}@example.org" for i in range(1_000)]),
        pa.array(rng.integers(0, 1_000, args.rows)),
    )
    hashing = Scrubber({"email": "hash"}, KEY)
    masking = Scrubber({"email": "mask"}, KEY)
    rows: list[list[object]] = []
    for label, column in (("all distinct", distinct), ("1,000 distinct", repeated)):
        table = pa.table({"email": column})
        floor = _best(args.repeat, lambda c=column: pc.utf8_trim_whitespace(c))
        for name, scrubber in (("hash", hashing), ("mask", masking)):
            seconds = _best(args.repeat, lambda s=scrubber, t=table: s.table(t, source))
            rows.append([f"table {name}, {label}", args.rows, seconds, floor])
    records = [
        {"date": "2024-01-01", "promo": 0, "email": f"user{i}@example.org"} for i in range(500)
    ]
    seconds = _best(args.repeat * 10, lambda: hashing.records(records))
    rows.append(["request of 500 records, hash", 500, seconds, None])
    print(bl.table(["case", "rows", "seconds", "trim floor s"], rows))
    path = bl.write_result(
        "pii", {"machine": bl.machine_info(["pyarrow"]), "args": vars(args), "rows": rows}
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
