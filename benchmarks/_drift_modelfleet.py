"""The drift benchmark's modelfleet arm: profiles once, then ``fleet_drift`` on a long-form window.

Run by ``bench_drift.py`` with modelfleet's venv::

    .venv/bin/python benchmarks/_drift_modelfleet.py --case DIR --out RESULT.json

It reads ``DIR/reference.parquet`` and ``DIR/current.parquet`` (see ``_drift_data``), builds a
``ReferenceProfile`` per tenant (timed: ``reference_seconds``), stores it as JSON and reads it
back (sizes and times reported), then builds one ``FleetWindow`` straight from the long-form
current columns (no per-tenant tables) and times ``fleet_drift`` on it (``--repeat`` runs;
the first is reported apart as ``first_check_seconds``). Peak memory: the process's peak RSS
and tracemalloc's peak over one extra ``fleet_drift`` call.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
import tracemalloc
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from _benchlib import TreeSampler
from modelfleet.monitoring.drift import DriftPolicy, FleetWindow, fleet_drift
from modelfleet.training.profiles import build_profile, profile_from_json, profile_to_json


def _rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as handle:  # noqa: PTH123
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def _hwm_mb() -> float:
    """The process's peak RSS (VmHWM: reset at exec, unlike getrusage's ru_maxrss, which a child
    inherits from the parent it was forked from)."""
    with open("/proc/self/status", encoding="ascii") as handle:  # noqa: PTH123
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _bounds(tenant: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct tenants of a long-form column sorted by tenant, and where each one starts."""
    ids, starts = np.unique(tenant, return_index=True)
    return ids, np.append(starts, tenant.size)


def run(case: Path, repeat: int) -> dict[str, Any]:
    """Profile, store, reload, check: every figure of the arm."""
    truth = json.loads((case / "truth.json").read_text())
    names: list[str] = truth["features"]
    ref = pq.read_table(case / "reference.parquet")
    cur = pq.read_table(case / "current.parquet")
    if "tenant" not in ref.column_names:  # the single-tenant case
        ref = ref.append_column("tenant", pa.array(np.zeros(ref.num_rows, np.int32)))
        cur = cur.append_column("tenant", pa.array(np.zeros(cur.num_rows, np.int32)))
    ref_tenant = ref["tenant"].to_numpy()
    ids, starts = _bounds(ref_tenant)
    features = ref.select(names)
    ref_pred = ref["prediction"].to_numpy()

    start = time.perf_counter()
    profiles = []
    for i, t in enumerate(ids.tolist()):
        lo, hi = int(starts[i]), int(starts[i + 1])
        profiles.append(
            build_profile(
                fleet="bench",
                tenant=str(t),
                features=features.slice(lo, hi - lo),
                categorical={},
                target_name="target",
                target=ref_pred[lo:hi],
                predictions=ref_pred[lo:hi],
            )
        )
    reference_seconds = time.perf_counter() - start
    start = time.perf_counter()
    blobs = [profile_to_json(p) for p in profiles]
    store_seconds = time.perf_counter() - start
    start = time.perf_counter()
    loaded = [profile_from_json(b) for b in blobs]
    load_seconds = time.perf_counter() - start
    del profiles, features, ref

    rss_before = _rss_mb()
    start = time.perf_counter()
    position = {t: i for i, t in enumerate(ids.tolist())}
    cur_tenant = cur["tenant"].to_numpy()
    lookup = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
    lookup[ids] = np.arange(ids.size)
    window = FleetWindow(
        tenants=tuple(str(t) for t in position),
        profiles=loaded,
        tenant_index=lookup[cur_tenant],
        columns={n: cur[n].to_numpy() for n in names},
        predictions=cur["prediction"].to_numpy(),
    )
    window_seconds = time.perf_counter() - start
    policy = DriftPolicy()
    times = []
    result = None
    sampler = TreeSampler(os.getpid(), interval=0.05)
    with sampler:
        for _ in range(repeat):
            start = time.perf_counter()
            result = fleet_drift(window, policy)
            times.append(time.perf_counter() - start)
    assert result is not None
    peak_rss = _hwm_mb()
    tracemalloc.start()
    fleet_drift(window, policy)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()

    tenants = {
        verdict.tenant: {"drifted": verdict.drifted, "columns": list(verdict.drifted_columns)}
        for verdict in result.tenants
    }
    sizes = [len(b) for b in blobs]
    later = times[1:] or times
    return {
        "tool": "modelfleet",
        "version": metadata.version("modelfleet"),
        "method": (
            "fleet_drift, default DriftPolicy: KS at the profile's 64 cut points, hierarchical "
            "FDR 0.05, min_ks 0.1, tenant drifted when share > 0.2"
        ),
        "tenants_total": int(ids.size),
        "tenants_done": int(ids.size),
        "reference_seconds": reference_seconds,
        "profile_store_seconds": store_seconds,
        "profile_load_seconds": load_seconds,
        "profile_bytes_per_tenant": statistics.mean(sizes),
        "profile_bytes_total": sum(sizes),
        "window_seconds": window_seconds,
        "first_check_seconds": times[0],
        "check_seconds": statistics.median(later),
        "check_seconds_min": min(later),
        "check_runs": len(times),
        "tests": result.tests,
        "loaded_rss_mb": rss_before,
        "loop_peak_rss_mb": sampler.usage.peak_rss_mb,
        "peak_rss_mb": peak_rss,
        "check_traced_peak_mb": traced_peak,
        "variants": {"modelfleet": tenants},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    args.out.write_text(json.dumps(run(args.case, args.repeat)))


if __name__ == "__main__":
    main()
