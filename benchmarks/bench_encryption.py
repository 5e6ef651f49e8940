"""Cost of encryption at rest: the prediction log's write and read paths and artifact blobs.

Logs ``--rows`` synthetic rows (a 12-field record each, about 300 bytes of JSON, as a retail
model's inputs are) into a fresh SQLite store with encryption off and on, through the
logger's own bulk insert (``MetadataStore.add_prediction_tuples``), and reads them back as the
drift window does (``prediction_columns``). Then stores and reads a ``--blob-mb`` artifact both
ways. Best of ``--repeat`` runs; prints microseconds per row and the blob figures, writes JSON
to ``benchmarks/results/``.

Run (from the repository root)::

    .venv/bin/python benchmarks/bench_encryption.py
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

import _benchlib as bl


def _rows(count: int) -> list[tuple[object, ...]]:
    """Log rows in ``predictions.COLUMNS`` order, 50 tenants, distinct inputs."""
    now = datetime.now(UTC)
    rows = []
    for i in range(count):
        record = {f"feature_{k}": (i * 7 + k) * 0.37 for k in range(10)}
        record |= {"store_type": "a", "promo": bool(i % 2)}
        inputs = orjson.dumps(record).decode()
        rows.append(
            (
                f"r{i}",
                0,
                "bench",
                f"t{i % 50}",
                "prod",
                "1.0.0",
                "champion",
                now,
                1.0,
                inputs,
                1.0,
                now,
            )
        )
    return rows


def _best(repeat: int, run: Callable[[], float]) -> float:
    return min(run() for _ in range(repeat))


def _log_seconds(
    root: Path, rows: list[tuple[object, ...]], encrypted: bool
) -> tuple[float, float]:
    """(write, read) seconds of ``rows`` into a fresh SQLite store, encryption as asked."""
    from modelfleet.crypto import KEYS_ENV, new_key_line
    from modelfleet.store import open_store

    if encrypted:
        os.environ[KEYS_ENV] = new_key_line("bench")
    else:
        os.environ.pop(KEYS_ENV, None)
    home = Path(tempfile.mkdtemp(dir=root))
    store = open_store(f"sqlite:///{home / 'modelfleet.db'}")
    try:
        started = time.perf_counter()
        for at in range(0, len(rows), 500):  # the logger's batch size
            store.add_prediction_tuples(rows[at : at + 500])
        wrote = time.perf_counter() - started
        since, until = datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(1)
        started = time.perf_counter()
        got = store.prediction_columns("bench", "prod", since, until)
        read = time.perf_counter() - started
        assert len(got) == len(rows)
    finally:
        store.close()
    return wrote, read


def _seal_only_seconds(rows: list[tuple[object, ...]]) -> float:
    """Seconds to seal the inputs column of ``rows`` alone (the encryption's own share)."""
    from modelfleet.crypto import KEYS_ENV, new_key_line
    from modelfleet.store.sealed_inputs import seal_rows

    os.environ[KEYS_ENV] = new_key_line("bench")
    started = time.perf_counter()
    seal_rows(rows, inputs_at=9, fleet_at=2, tenant_at=3)
    return time.perf_counter() - started


def _blob_seconds(root: Path, blob: bytes, encrypted: bool) -> tuple[float, float, float]:
    """(put, get, verify) seconds of one artifact, encryption as asked."""
    from modelfleet.artifacts import open_artifact_store
    from modelfleet.crypto import KEYS_ENV, new_key_line, parse_keyring

    os.environ.pop(KEYS_ENV, None)  # off means off: no process keyring either
    ring = parse_keyring([new_key_line("bench")], source="bench") if encrypted else None
    store = open_artifact_store(tempfile.mkdtemp(dir=root), ring)
    started = time.perf_counter()
    ref = store.put_bytes(blob)
    put = time.perf_counter() - started
    started = time.perf_counter()
    store.get_bytes(ref.digest)
    get = time.perf_counter() - started
    started = time.perf_counter()
    store.verify(ref.digest)
    return put, get, time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--blob-mb", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="modelfleet-bench-crypt-"))
    try:
        rows = _rows(args.rows)
        per_row: dict[str, float] = {}
        for encrypted in (False, True):
            name = "on" if encrypted else "off"
            timings = [_log_seconds(root, rows, encrypted) for _ in range(args.repeat)]
            per_row[f"write_{name}"] = min(w for w, _ in timings) / len(rows) * 1e6
            per_row[f"read_{name}"] = min(r for _, r in timings) / len(rows) * 1e6
        per_row["seal_only"] = (
            _best(args.repeat, lambda: _seal_only_seconds(rows)) / len(rows) * 1e6
        )
        blob = os.urandom(args.blob_mb << 20)
        blobs = {
            ("on" if encrypted else "off"): min(
                (_blob_seconds(root, blob, encrypted) for _ in range(args.repeat)),
                key=lambda t: sum(t),
            )
            for encrypted in (False, True)
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"prediction log, {args.rows:,} rows, best of {args.repeat} (microseconds per row)")
    print(
        bl.table(
            ["path", "encryption off", "encryption on", "added"],
            [
                [
                    "write (add_prediction_tuples)",
                    per_row["write_off"],
                    per_row["write_on"],
                    per_row["write_on"] - per_row["write_off"],
                ],
                [
                    "read (prediction_columns)",
                    per_row["read_off"],
                    per_row["read_on"],
                    per_row["read_on"] - per_row["read_off"],
                ],
                ["sealing alone", None, per_row["seal_only"], None],
            ],
        )
    )
    print(f"\nartifact of {args.blob_mb} MiB (seconds)")
    print(
        bl.table(
            ["step", "encryption off", "encryption on"],
            [
                [step, blobs["off"][i], blobs["on"][i]]
                for i, step in enumerate(["put", "get", "verify"])
            ],
        )
    )
    path = bl.write_result(
        "encryption",
        {
            "machine": bl.machine_info(["cryptography"]),
            "code": bl.code_state(),
            "rows": args.rows,
            "microseconds_per_row": per_row,
            "blob_mb": args.blob_mb,
            "blob_seconds": {
                k: dict(zip(["put", "get", "verify"], v, strict=True)) for k, v in blobs.items()
            },
        },
    )
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
