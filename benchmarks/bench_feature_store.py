"""Point-in-time feature retrieval and online lookups: modelfleet's feature store side by side
with Feast (local provider, file offline store, SQLite online store) and a bare DuckDB ASOF join,
on the same generated data.

The data (numpy, seeded) goes to ``--workdir`` (default: ``<system temp>/modelfleet-bench-
features``), never into the repository. ``features.parquet`` has ``--entities`` entities
(int64 ``entity_id``, default 1,000) x ``--days`` daily rows (default 730) x 10 float64 features
``f0``..``f9`` (0.5% nulls); every row's ``event_timestamp`` (``timestamp[us, tz=UTC]``, used by
all three tools) is its day plus a random time of day, and the file is in arrival order (day by
day). Entity frames of ``--rows`` rows (default 10,000, 100,000 and 1,000,000) have
``request_id`` (row number), ``entity_id`` and ``event_timestamp``: random entities, 2% of them
absent from the feature table, at random seconds from a week before the first feature row to a
week after the last, 1% of them exactly at a feature row's timestamp (an as-of join must
include it).

Each contestant runs in its own fresh Python process per retrieval size and repeat, so peak
memory is its own: the child reports ``ru_maxrss`` and its RSS before the timed call (after
imports and loading its input), and the parent samples the child's process tree from ``/proc``
every 0.1 s and kills it when it passes ``--memory-cap-mb`` (default 12,000 MB, half the
machine; reported as "over memory cap" with an estimate of what it would have needed, not as a
failure of the benchmark). Inputs are loaded before the clock; reading ``features.parquet`` is
inside it for all three.

``duckdb`` (the floor)
    ``SELECT e.*, f.f0, ..., f.f9 FROM entities e ASOF LEFT JOIN read_parquet(<features>) f ON
    e.entity_id = f.entity_id AND e.event_timestamp >= f.event_timestamp`` on an in-memory
    connection with DuckDB's defaults, the entity frame an Arrow table registered as
    ``entities``, fetched as an Arrow table. No TTL (the data spans less than the other tools'
    3,650-day TTL) and no ordering.
``modelfleet``
    ``FeatureStore([FeatureView(name="stats", entities=("entity_id",),
    timestamp="event_timestamp", source=FileSource(path=<features>), ttl="3650d",
    features=[Feature(name="f0", expr="f0"), ...])], online_url="sqlite:///<tmp>/online.db")``
    (its defaults otherwise: DuckDB ``memory_limit`` 1 GB), then
    ``get_historical_features(<Arrow entity frame>, timestamp="event_timestamp")``: an Arrow
    table.
``feast``
    A local repository in the work folder (``provider: local``, ``offline_store: file``, i.e.
    Feast's Dask store, ``online_store: sqlite``, file registry): ``Entity("entity",
    join_keys=["entity_id"])``, ``FileSource(path=<features>, timestamp_field=
    "event_timestamp")`` and a ``FeatureView`` with ``ttl=timedelta(days=3650)`` and ten
    ``Float64`` fields, ``apply``-ed before the clock; then ``get_historical_features(
    entity_df=<pandas frame>, features=["stats:f0", ...]).to_df()``. Feast 0.67 pins
    ``pandas<3`` and this project runs pandas 3, so Feast lives in its own virtualenv,
    ``<workdir>/feast-venv``, created by this script on first use (``pip install
    feast==0.67.0``, ``FEAST_VERSION``); only the Feast child runs there
    (``benchmarks/_feast_arm.py``) and it talks to this script through JSON and Parquet files.
``feast-chunked``
    The same, called on ``--chunk-rows`` entity rows at a time (default 10,000) and the results
    concatenated: what a Feast user does when one call runs out of memory. Run on frames larger
    than a chunk and up to ``--chunked-max-rows`` (default 100,000; 1,000,000 would take about
    20 minutes).

Correctness: for a sample of ``--sample`` entity rows (same request ids for every tool) the
feature values must be equal (null and NaN count as equal; values are compared exactly, as they
are copied, not computed). The as-of semantics are the same: the newest feature row at or
before the entity row's time; the TTL never cuts. Feast leaves out entity rows of known
entities that have no feature row at or before their time (its Dask store merges each entity row
with all of the entity's feature rows, filters by time and drops rows left with no candidate);
the others return them with nulls. Those rows are counted ("missing") and the rest compared.

Online: both stores are materialized up to a day after the last feature row (timed: Feast's
``materialize(start, end)``, modelfleet's ``materialize(end=...)``), then each does
``--online-calls`` lookups of 1 entity and as many of 100 entities (the same random entities in
the same order for both, after ``--warmup`` untimed calls), with per-call wall and CPU time;
modelfleet returns an Arrow table, Feast's ``OnlineResponse`` is turned into a dict
(``to_dict()``), its usual way out. Every entity (plus 50 absent ones) is then looked up in both
and the values compared.

The machine may be shared: every child first waits (``--wait-quiet``) for other programs to go
idle; the JSON has the load average and the CPU seconds other programs used while each child
ran. With ``--repeat N`` the retrieval children run N times interleaved and the fastest run is
reported (a child that hit the memory cap is not repeated). A socket guard blocks (and counts)
any network access in every child, and Feast's usage telemetry is off.

Run (from the repository root)::

    python3 -m venv .venv-bench && .venv-bench/bin/pip install -e ".[bench]"
    .venv-bench/bin/python benchmarks/bench_feature_store.py               # ~6 min on 2 cores
    .venv-bench/bin/python benchmarks/bench_feature_store.py --rows 5000 20000 --chunk-rows 5000

The first run adds about a minute to create Feast's virtualenv. Results go to
``benchmarks/results/feature-store-<time>.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _benchlib as bl

PACKAGES = ("modelfleet", "duckdb", "pyarrow", "pandas", "numpy")
FEAST_VERSION = "0.67.0"  # pins pandas<3: hence its own virtualenv
FEAST_PACKAGES = ("feast", "dask", "pandas", "pyarrow", "numpy", "protobuf", "sqlalchemy")
FEATURE_COUNT = 10
FEATURES = tuple(f"f{i}" for i in range(FEATURE_COUNT))
VIEW = "stats"
ENTITY_KEY = "entity_id"
TIMESTAMP = "event_timestamp"
REQUEST_ID = "request_id"
TTL_DAYS = 3650
START = datetime(2024, 1, 1, tzinfo=UTC)
ABSENT_ENTITIES = 50  # ids past the feature table's, used by entity frames and the online check
ARMS = ("duckdb", "modelfleet", "feast", "feast-chunked")
TARGET_VS_FEAST = 20.0
TARGET_VS_DUCKDB = 2.0
TARGET_ONLINE_P99_MS = 1.0
ARM_NAMES = {
    "duckdb": "bare DuckDB ASOF",
    "modelfleet": "modelfleet",
    "feast": "Feast",
    "feast-chunked": "Feast in chunks",
}


# ----------------------------------------------------------------------------- the data
@dataclass(frozen=True)
class DataSpec:
    """The shape of the generated data."""

    entities: int
    days: int
    seed: int

    @property
    def end(self) -> datetime:
        """The day after the last feature row's day."""
        return START + timedelta(days=self.days)


def _micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000


def feature_seconds(spec: DataSpec) -> Any:
    """Seconds since the epoch of every feature row, as a (days, entities) int64 array."""
    import numpy as np

    rng = np.random.default_rng(spec.seed)
    day_start = _micros(START) // 1_000_000 + np.arange(spec.days, dtype=np.int64) * 86_400
    time_of_day = rng.integers(0, 86_400, size=(spec.days, spec.entities), dtype=np.int64)
    return day_start[:, None] + time_of_day


def write_features(spec: DataSpec, path: Path) -> int:
    """Write the feature table (day by day, every entity each day) and return its row count."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    seconds = feature_seconds(spec).reshape(-1)
    rows = seconds.size
    rng = np.random.default_rng(spec.seed + 1)
    columns: dict[str, Any] = {
        ENTITY_KEY: pa.array(np.tile(np.arange(spec.entities, dtype=np.int64), spec.days)),
        TIMESTAMP: pa.array(seconds * 1_000_000, pa.timestamp("us", tz="UTC")),
    }
    for name in FEATURES:
        values = rng.normal(100.0, 25.0, size=rows)
        columns[name] = pa.array(values, pa.float64(), mask=rng.random(rows) < 0.005)
    pq.write_table(pa.table(columns), path)
    return rows


def write_entities(spec: DataSpec, rows: int, path: Path) -> None:
    """Write an entity frame of ``rows`` rows (see the module docstring)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(spec.seed + rows)
    ids = rng.integers(0, spec.entities, size=rows, dtype=np.int64)
    absent = rng.random(rows) < 0.02
    ids[absent] = spec.entities + rng.integers(0, ABSENT_ENTITIES, size=int(absent.sum()))
    low = _micros(START) // 1_000_000 - 7 * 86_400
    high = _micros(spec.end) // 1_000_000 + 7 * 86_400
    seconds = rng.integers(low, high, size=rows, dtype=np.int64)
    exact = (rng.random(rows) < 0.01) & ~absent
    days = rng.integers(0, spec.days, size=int(exact.sum()))
    seconds[exact] = feature_seconds(spec)[days, ids[exact]]
    table = pa.table(
        {
            REQUEST_ID: pa.array(np.arange(rows, dtype=np.int64)),
            ENTITY_KEY: pa.array(ids),
            TIMESTAMP: pa.array(seconds * 1_000_000, pa.timestamp("us", tz="UTC")),
        }
    )
    pq.write_table(table, path)


def sample_ids(rows: int, size: int, seed: int) -> list[int]:
    """The request ids checked for equality, sorted."""
    import numpy as np

    rng = np.random.default_rng(seed + 7)
    chosen = rng.choice(rows, size=min(size, rows), replace=False)
    return sorted(int(i) for i in chosen)


def online_keys(spec: DataSpec, calls: int, batch: int, seed: int) -> list[list[int]]:
    """``calls`` lists of ``batch`` distinct present entities, drawn at random."""
    import numpy as np

    rng = np.random.default_rng(seed + batch)
    return [
        [int(i) for i in rng.choice(spec.entities, size=batch, replace=False)] for _ in range(calls)
    ]


# ----------------------------------------------------------------------------- child side
def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of ``values``."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _rss_mb() -> float:
    return bl._rss_kb(os.getpid()) / 1024


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _sample_table(result: Any, ids: Sequence[int]) -> Any:
    """The sampled rows of a retrieval result (Arrow table or pandas frame), sorted by id."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(result, pa.Table):
        table = result.filter(pc.is_in(result[REQUEST_ID], pa.array(ids, pa.int64())))
    else:
        frame = result[result[REQUEST_ID].isin(ids)]
        table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.select([REQUEST_ID, ENTITY_KEY, TIMESTAMP, *FEATURES]).sort_by(REQUEST_ID)


def _columns(result: Any) -> list[str]:
    names = result.column_names if hasattr(result, "column_names") else list(result.columns)
    return [str(name) for name in names]


def run_historical(job: dict[str, Any], prepare: Callable[[dict[str, Any]], Any]) -> None:
    """Child side of one retrieval: ``prepare(job)`` loads inputs and returns the call to time.

    Writes ``result.json`` (times, memory, shape) and ``sample.parquet`` into ``job["out"]``.
    """
    import pyarrow.parquet as pq

    out = Path(job["out"])
    retrieve = prepare(job)
    gc.collect()
    rss_before = _rss_mb()
    load = os.getloadavg()
    wall, cpu = time.perf_counter(), time.process_time()
    result = retrieve()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = _max_rss_mb()
    rss_after = _rss_mb()
    pq.write_table(_sample_table(result, job["sample_ids"]), out / "sample.parquet")
    payload = {
        "wall_s": wall,
        "cpu_s": cpu,
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_after,
        "max_rss_mb": peak,
        "rows": len(result),
        "columns": _columns(result),
        "load_average": load,
    }
    (out / "result.json").write_text(json.dumps(payload, indent=2))


@dataclass
class OnlineArm:
    """What an online child needs from one tool."""

    materialize: Callable[[], Any]
    lookup: Callable[[list[int]], Any]  # the timed call
    to_arrow: Callable[[Any], Any]  # a lookup's result as an Arrow table (after the clock)


def timed_calls(
    call: Callable[[list[int]], Any], keys: Sequence[list[int]], warmup: int
) -> dict[str, Any]:
    """p50/p90/p99/max wall and p50/p99 CPU milliseconds of ``call(k)`` for every ``k``, after
    untimed warm-up calls on the first ``warmup`` keys."""
    for key in keys[:warmup]:
        call(key)
    gc.collect()
    wall: list[float] = []
    cpu: list[float] = []
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    for key in keys:
        cpu_start = cpu_clock()
        start = clock()
        call(key)
        end = clock()
        cpu.append((cpu_clock() - cpu_start) / 1e6)
        wall.append((end - start) / 1e6)
    return {
        "n": len(wall),
        "p50_ms": percentile(wall, 50),
        "p90_ms": percentile(wall, 90),
        "p99_ms": percentile(wall, 99),
        "mean_ms": sum(wall) / len(wall),
        "max_ms": max(wall),
        "cpu_p50_ms": percentile(cpu, 50),
        "cpu_p99_ms": percentile(cpu, 99),
    }


def run_online(job: dict[str, Any], prepare: Callable[[dict[str, Any]], OnlineArm]) -> None:
    """Child side of the online phase: materialize, time lookups, dump the check lookups."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(job["out"])
    arm = prepare(job)
    wall, cpu = time.perf_counter(), time.process_time()
    arm.materialize()
    materialize = {
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
    }
    load = os.getloadavg()
    lookups = {
        name: timed_calls(arm.lookup, job["keys"][name], job["warmup"])
        for name in ("one", "hundred")
    }
    checked = [arm.to_arrow(arm.lookup(batch)) for batch in job["check_keys"]]
    table = pa.concat_tables([t.select([ENTITY_KEY, *FEATURES]) for t in checked])
    pq.write_table(table, out / "online.parquet")
    payload = {
        "materialize": materialize,
        "lookups": lookups,
        "load_average": load,
        "max_rss_mb": _max_rss_mb(),
        "columns": table.column_names,
    }
    (out / "result.json").write_text(json.dumps(payload, indent=2))


# ----------------------------------------------------------------------------- DuckDB child
def duckdb_historical(job: dict[str, Any]) -> Callable[[], Any]:
    """The bare ASOF join, entity frame registered as an Arrow table."""
    import duckdb
    import pyarrow.parquet as pq

    entities = pq.read_table(job["entities"])
    con = duckdb.connect()
    con.register("entities", entities)
    picked = ", ".join(f"f.{name}" for name in FEATURES)
    source = job["features"].replace("'", "''")
    sql = (
        f"SELECT e.*, {picked} FROM entities e ASOF LEFT JOIN read_parquet('{source}') f "
        f"ON e.{ENTITY_KEY} = f.{ENTITY_KEY} AND e.{TIMESTAMP} >= f.{TIMESTAMP}"
    )
    return lambda: con.sql(sql).fetch_arrow_table()


# ----------------------------------------------------------------------------- modelfleet child
def _modelfleet_store(job: dict[str, Any]) -> Any:
    from modelfleet.features import Feature, FeatureStore, FeatureView, FileSource

    view = FeatureView(
        name=VIEW,
        entities=(ENTITY_KEY,),
        timestamp=TIMESTAMP,
        source=FileSource(path=job["features"]),
        ttl=f"{TTL_DAYS}d",
        features=[Feature(name=name, expr=name) for name in FEATURES],
    )
    return FeatureStore([view], online_url=f"sqlite:///{Path(job['out']) / 'online.db'}")


def modelfleet_historical(job: dict[str, Any]) -> Callable[[], Any]:
    """``get_historical_features`` on the Arrow entity frame."""
    import pyarrow.parquet as pq

    entities = pq.read_table(job["entities"])
    store = _modelfleet_store(job)
    return lambda: store.get_historical_features(entities, features=None, timestamp=TIMESTAMP)


def modelfleet_online(job: dict[str, Any]) -> OnlineArm:
    """``materialize(end=...)`` then ``get_online_features({"entity_id": [...]})``."""
    store = _modelfleet_store(job)
    end = datetime.fromisoformat(job["end"])
    return OnlineArm(
        materialize=lambda: store.materialize(end=end),
        lookup=lambda ids: store.get_online_features({ENTITY_KEY: ids}, features=None, now=end),
        to_arrow=lambda table: table,
    )


def child_main(job_path: Path) -> int:
    """Entry point of a DuckDB or modelfleet child process."""
    job = json.loads(job_path.read_text())
    if job["arm"] == "duckdb":
        run_historical(job, duckdb_historical)
    elif job["mode"] == "historical":
        run_historical(job, modelfleet_historical)
    else:
        run_online(job, modelfleet_online)
    return 0


# ----------------------------------------------------------------------------- parent side
def feast_python(workdir: Path) -> Path:
    """The Feast virtualenv's interpreter, creating the venv (pinned Feast) if needed."""
    venv = workdir / "feast-venv"
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import importlib.metadata as m; print(m.version('feast'))"]
    if python.exists():
        done = subprocess.run(probe, capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip() == FEAST_VERSION:
            return python
        shutil.rmtree(venv)
    print(f"creating {venv} with feast=={FEAST_VERSION} (about a minute)...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    log = workdir / "feast-venv-install.log"
    with log.open("w") as handle:
        subprocess.run(
            [str(python), "-m", "pip", "install", f"feast=={FEAST_VERSION}"],
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=True,
        )
    return python


def feast_versions(python: Path) -> dict[str, str]:
    """Package versions inside the Feast virtualenv."""
    code = (
        "import importlib.metadata as m, json\n"
        f"names = {list(FEAST_PACKAGES)!r}\n"
        "print(json.dumps({n: m.version(n) for n in names}))"
    )
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout))


@dataclass
class Child:
    """How one child process went, as the parent saw it."""

    status: str  # ok, over memory cap, timeout, failed
    seconds: float
    peak_tree_rss_mb: float
    cpu_seconds: float
    other_cpu_seconds: float
    waited_s: float
    busy_cores_before: float
    result: dict[str, Any]
    error: str = ""


def run_child(
    command: list[str],
    job: dict[str, Any],
    *,
    env: dict[str, str],
    cap_mb: float,
    timeout: float,
    wait_quiet: float,
) -> Child:
    """Run one child on ``job`` (written to ``job["out"]/job.json``), watching its memory."""
    out = Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    job_path = out / "job.json"
    job_path.write_text(json.dumps(job))
    waited, busy = bl.wait_for_quiet(wait_quiet) if wait_quiet > 0 else (0.0, 0.0)
    stderr_path = out / "stderr.txt"
    busy_start = bl.system_busy_seconds()
    start = time.monotonic()
    status = "ok"
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [*command, str(job_path)],
            env=env,
            stdout=stderr,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        sampler = bl.TreeSampler(process.pid, interval=0.1, pss_every=1_000_000)
        while process.poll() is None:
            sampler.sample()
            if sampler.usage.peak_rss_mb > cap_mb:
                status = "over memory cap"
            elif time.monotonic() - start > timeout:
                status = "timeout"
            if status != "ok":
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                break
            time.sleep(0.1)
    seconds = time.monotonic() - start
    other = max(0.0, bl.system_busy_seconds() - busy_start - sampler.usage.cpu_seconds)
    result_path = out / "result.json"
    error = ""
    if status == "ok" and (process.returncode != 0 or not result_path.exists()):
        status = "failed"
    if status != "ok":
        error = stderr_path.read_text(errors="replace")[-3000:]
    result = json.loads(result_path.read_text()) if status == "ok" else {}
    return Child(
        status=status,
        seconds=seconds,
        peak_tree_rss_mb=max(sampler.usage.peak_rss_mb, result.get("max_rss_mb", 0.0)),
        cpu_seconds=sampler.usage.cpu_seconds,
        other_cpu_seconds=other,
        waited_s=waited,
        busy_cores_before=busy,
        result=result,
        error=error,
    )


def _differing(a: Any, b: Any, columns: Sequence[str]) -> int:
    """Rows of two aligned tables that differ in any of ``columns`` (null and NaN are equal)."""
    import numpy as np

    differ = np.zeros(a.num_rows, dtype=bool)
    for name in columns:
        x = a[name].to_numpy(zero_copy_only=False).astype(np.float64)
        y = b[name].to_numpy(zero_copy_only=False).astype(np.float64)
        differ |= ~((x == y) | (np.isnan(x) & np.isnan(y)))
    return int(differ.sum())


def compare(tables: dict[str, Any], key: str, reference: str) -> dict[str, Any]:
    """Compare every table with ``tables[reference]``, row by row on ``key`` (both sorted by
    it): rows missing from either side, and rows present in both whose features differ."""
    import pyarrow.compute as pc

    base = tables[reference]
    found: dict[str, Any] = {}
    for name, table in tables.items():
        if name == reference:
            continue
        in_table = pc.is_in(base[key], table[key])
        in_base = pc.is_in(table[key], base[key])
        shared_base = base.filter(in_table).sort_by(key)
        shared = table.filter(in_base).sort_by(key)
        missing = base.filter(pc.invert(in_table))[key].to_pylist()
        keys_match = shared_base[key].equals(shared[key])
        found[name] = {
            "reference": reference,
            "rows_compared": shared.num_rows,
            "differing_rows": _differing(shared_base, shared, FEATURES) if keys_match else None,
            "missing_rows": len(missing),
            "missing_sample": missing[:20],
            "extra_rows": table.num_rows - shared.num_rows,
            "keys_match": keys_match,
        }
        if missing and key == REQUEST_ID:
            # What the missing rows had in the reference (to explain them in the report).
            gone = base.filter(pc.invert(in_table))
            all_null = pc.all(pc.is_null(gone[FEATURES[0]], nan_is_null=True)).as_py()
            found[name]["missing_all_null_in_reference"] = bool(all_null)
    return found


def best(children: Sequence[Child]) -> Child | None:
    """The fastest successful run, else the last run (to show how it failed)."""
    ok = [c for c in children if c.status == "ok"]
    if ok:
        return min(ok, key=lambda c: c.result["wall_s"])
    return children[-1] if children else None


def summarize(child: Child | None) -> dict[str, Any] | None:
    """The JSON form of a child run."""
    if child is None:
        return None
    return {
        "status": child.status,
        "seconds": child.seconds,
        "peak_tree_rss_mb": child.peak_tree_rss_mb,
        "tree_cpu_seconds": child.cpu_seconds,
        "other_cpu_seconds": child.other_cpu_seconds,
        "waited_s": child.waited_s,
        "busy_cores_before": child.busy_cores_before,
        "result": child.result,
        "error": child.error,
    }


def estimate_peak_mb(runs: dict[int, Child | None], rows: int) -> float | None:
    """Feast's peak at ``rows`` from its largest completed size: the memory above the child's
    baseline grows with the joined rows (entity rows x feature rows of each entity)."""
    done = {n: c for n, c in runs.items() if c is not None and c.status == "ok"}
    if not done:
        return None
    size = max(done)
    result = done[size].result
    base = result["rss_before_mb"]
    return base + (done[size].peak_tree_rss_mb - base) * rows / size


def retrieval_rows(
    best_runs: dict[int, dict[str, Child | None]], arms: Sequence[str]
) -> list[dict[str, Any]]:
    """One row per size and contestant: wall, CPU, peak, how many times faster modelfleet is."""
    rows: list[dict[str, Any]] = []
    feast_runs = {size: by_arm.get("feast") for size, by_arm in best_runs.items()}
    for size, by_arm in best_runs.items():
        mf = by_arm.get("modelfleet")
        mf_wall = mf.result["wall_s"] if mf is not None and mf.status == "ok" else None
        for arm in arms:
            child = by_arm.get(arm)
            if child is None:
                continue
            ok = child.status == "ok"
            wall = child.result["wall_s"] if ok else None
            row: dict[str, Any] = {
                "rows": size,
                "arm": arm,
                "status": child.status,
                "wall_s": wall,
                "cpu_s": child.result["cpu_s"] if ok else None,
                "peak_mb": child.peak_tree_rss_mb,
                "killed_after_s": None if ok else child.seconds,
                "rows_returned": child.result.get("rows") if ok else None,
                "modelfleet_faster": wall / mf_wall if wall and mf_wall else None,
            }
            if arm == "feast" and not ok:
                row["estimated_peak_mb"] = estimate_peak_mb(feast_runs, size)
            rows.append(row)
    return rows


def print_retrieval(rows: Sequence[dict[str, Any]], cap_mb: float) -> None:
    """The retrieval table."""
    headers = ["entity rows", "contestant", "wall s", "CPU s", "peak MB", "modelfleet faster"]
    body = []
    for row in rows:
        peak = f"{row['peak_mb']:,.0f}"
        wall: object = row["wall_s"]
        if row["status"] != "ok":
            wall = f"{row['status']} after {row['killed_after_s']:.0f} s"
            peak = f">{cap_mb:,.0f}" if row["status"] == "over memory cap" else peak
            if row.get("estimated_peak_mb"):
                peak += f" (est. {row['estimated_peak_mb']:,.0f})"
        ratio = row["modelfleet_faster"]
        body.append(
            [
                f"{row['rows']:,}",
                ARM_NAMES[row["arm"]],
                wall,
                row["cpu_s"],
                peak,
                None if ratio is None else f"x{ratio:.1f}",
            ]
        )
    print(bl.table(headers, body))


def target_lines(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's retrieval targets, size by size."""
    found: list[dict[str, Any]] = []
    by_key = {(r["rows"], r["arm"]): r for r in rows}
    for size in sorted({r["rows"] for r in rows}):
        mf = by_key.get((size, "modelfleet"))
        if mf is None or mf["status"] != "ok":
            continue
        duck = by_key.get((size, "duckdb"))
        if duck is not None and duck["status"] == "ok":
            slower = mf["wall_s"] / duck["wall_s"]
            found.append(
                {
                    "rows": size,
                    "text": f"modelfleet takes {slower:.2f}x the bare DuckDB join's time "
                    f"(target at most {TARGET_VS_DUCKDB:g}x)",
                    "met": slower <= TARGET_VS_DUCKDB,
                }
            )
        for arm in ("feast", "feast-chunked"):
            other = by_key.get((size, arm))
            if other is None:
                continue
            if other["status"] == "ok":
                ratio = other["modelfleet_faster"]
                found.append(
                    {
                        "rows": size,
                        "text": f"modelfleet x{ratio:.1f} faster than {ARM_NAMES[arm]} "
                        f"(target >= x{TARGET_VS_FEAST:g})",
                        "met": ratio >= TARGET_VS_FEAST,
                    }
                )
            elif other["status"] == "over memory cap":
                found.append(
                    {
                        "rows": size,
                        "text": f"{ARM_NAMES[arm]} passed the memory cap, modelfleet peaked at "
                        f"{mf['peak_mb']:,.0f} MB (target: modelfleet completes where Feast "
                        "runs out of memory)",
                        "met": True,
                    }
                )
    return found


def print_online(online: dict[str, Child], calls: int, warmup: int) -> dict[str, Any]:
    """The online table; returns the figures for the JSON."""
    arms = [a for a in ("modelfleet", "feast") if a in online]
    figures: dict[str, Any] = {}
    headers = ["", *[ARM_NAMES[a] for a in arms]]
    both = len(arms) == 2 and all(online[a].status == "ok" for a in arms)
    if both:
        headers.append("modelfleet faster")
    body: list[list[object]] = []
    for name, label in (("one", "1 entity"), ("hundred", "100 entities")):
        for stat in ("p50", "p99"):
            values = [
                online[a].result["lookups"][name][f"{stat}_ms"]
                if online[a].status == "ok"
                else None
                for a in arms
            ]
            row: list[object] = [f"{label} {stat}, ms", *values]
            if both:
                row.append(f"x{values[1] / values[0]:.1f}")
                figures[f"{name} {stat}"] = values[1] / values[0]
            body.append(row)
    seconds = [
        online[a].result["materialize"]["wall_s"] if online[a].status == "ok" else None
        for a in arms
    ]
    row = ["materialize, s", *seconds]
    if both:
        row.append(f"x{seconds[1] / seconds[0]:.1f}")
        figures["materialize"] = seconds[1] / seconds[0]
    body.append(row)
    print(
        f"online lookups: {calls:,} calls of each size after {warmup} warm-up calls, "
        "same entities for both; wall ms per call (CPU in the JSON)"
    )
    print(bl.table(headers, body))
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the data, run every child, check equality, print the tables, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, default=None, help="data, venv and stores")
    parser.add_argument("--entities", type=int, default=1000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=ARMS)
    parser.add_argument("--sample", type=int, default=1000, help="entity rows checked equal")
    parser.add_argument("--repeat", type=int, default=1, help="retrieval runs per arm and size")
    parser.add_argument(
        "--chunk-rows", type=int, default=10_000, help="entity rows per chunked Feast call"
    )
    parser.add_argument(
        "--chunked-max-rows",
        type=int,
        default=100_000,
        help="run chunked Feast on entity frames up to this size",
    )
    parser.add_argument("--online-calls", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50, help="untimed online calls")
    parser.add_argument("--no-online", action="store_true", help="skip the online phase")
    parser.add_argument(
        "--memory-cap-mb", type=float, default=12_000, help="kill a child whose RSS passes this"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="max s per child")
    parser.add_argument("--wait-quiet", type=float, default=60.0, help="max s to wait per child")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.child is not None:
        return child_main(args.child)

    workdir = args.workdir or Path(tempfile.gettempdir()) / "modelfleet-bench-features"
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    spec = DataSpec(args.entities, args.days, args.seed)
    data = workdir / "data"
    runs = workdir / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir()
    runs.mkdir()
    net_log = runs / "network.log"
    guard = bl.guard_sitecustomize(runs / "guard")
    env = {
        **os.environ,
        "PYTHONPATH": str(guard),
        bl.NET_LOG_ENV: str(net_log),
        "FEAST_USAGE": "False",
        "DO_NOT_TRACK": "true",
        "PYTHONUNBUFFERED": "1",
    }

    load_at_start = os.getloadavg()
    with bl.stopwatch() as took:
        feature_rows = write_features(spec, data / "features.parquet")
        for rows in args.rows:
            write_entities(spec, rows, data / f"entities-{rows}.parquet")
    print(
        f"data: {feature_rows:,} feature rows ({args.entities:,} entities x {args.days} days x "
        f"{FEATURE_COUNT} features), entity frames of {', '.join(f'{r:,}' for r in args.rows)} "
        f"rows, written in {took[0]:.1f} s to {data}",
        flush=True,
    )
    here = [sys.executable, str(Path(__file__).resolve()), "--child"]
    commands: dict[str, list[str]] = {"duckdb": here, "modelfleet": here}
    feast_info: dict[str, str] = {}
    if {"feast", "feast-chunked"} & set(args.arms):
        python = feast_python(workdir)
        feast_info = feast_versions(python)
        feast = [str(python), str(bl.BENCH_DIR / "_feast_arm.py")]
        commands.update({"feast": feast, "feast-chunked": feast})

    def launch(arm: str, job: dict[str, Any]) -> Child:
        job = {"arm": arm, "features": str(data / "features.parquet"), **job}
        child = run_child(
            commands[arm],
            job,
            env=env,
            cap_mb=args.memory_cap_mb,
            timeout=args.timeout,
            wait_quiet=args.wait_quiet,
        )
        shown = (
            f"{child.result['wall_s']:.2f} s, peak {child.peak_tree_rss_mb:,.0f} MB"
            if child.status == "ok" and "wall_s" in child.result
            else f"{child.status}, peak {child.peak_tree_rss_mb:,.0f} MB"
        )
        print(f"  {job['mode']} {arm} {job.get('rows', '')}: {shown}", flush=True)
        if child.status == "failed":
            print(child.error, file=sys.stderr)
        return child

    import pyarrow.parquet as pq

    historical: dict[int, dict[str, list[Child]]] = {}
    samples: dict[int, dict[str, Any]] = {}
    for rows in args.rows:
        ids = sample_ids(rows, args.sample, args.seed)
        arms = [
            arm
            for arm in args.arms
            if arm != "feast-chunked" or args.chunk_rows < rows <= args.chunked_max_rows
        ]
        historical[rows] = {arm: [] for arm in arms}
        for index in range(args.repeat):
            for arm in arms:
                done = historical[rows][arm]
                if done and done[0].status in ("over memory cap", "timeout"):
                    continue  # it would only hit the same wall again
                out = runs / f"historical-{rows}-{arm}-{index}"
                job = {
                    "mode": "historical",
                    "rows": rows,
                    "entities": str(data / f"entities-{rows}.parquet"),
                    "sample_ids": ids,
                    "chunk_rows": args.chunk_rows if arm == "feast-chunked" else None,
                    "out": str(out),
                }
                child = launch(arm, job)
                done.append(child)
                if child.status == "ok" and arm not in samples.get(rows, {}):
                    samples.setdefault(rows, {})[arm] = pq.read_table(out / "sample.parquet")
                shutil.rmtree(out / "feast-repo", ignore_errors=True)

    online: dict[str, Child] = {}
    online_tables: dict[str, Any] = {}
    if not args.no_online:
        everyone = list(range(args.entities + ABSENT_ENTITIES))
        job = {
            "mode": "online",
            "end": (spec.end + timedelta(days=1)).isoformat(),
            "start": (START - timedelta(days=1)).isoformat(),
            "keys": {
                "one": online_keys(spec, args.online_calls, 1, args.seed),
                "hundred": online_keys(spec, args.online_calls, 100, args.seed),
            },
            "check_keys": [everyone[i : i + 100] for i in range(0, len(everyone), 100)],
            "warmup": args.warmup,
        }
        for arm in ("modelfleet", "feast"):
            if arm not in args.arms:
                continue
            out = runs / f"online-{arm}"
            online[arm] = launch(arm, {**job, "out": str(out)})
            if online[arm].status == "ok":
                online_tables[arm] = pq.read_table(out / "online.parquet")
    attempts = bl.network_attempts(net_log)

    # ------------------------------------------------------------------ checks and tables
    checks: dict[str, Any] = {}
    for rows, tables in samples.items():
        reference = "duckdb" if "duckdb" in tables else next(iter(tables))
        checks[f"historical {rows:,}"] = compare(tables, REQUEST_ID, reference)
    if len(online_tables) > 1:
        checks["online"] = compare(online_tables, ENTITY_KEY, "feast")
    equal = all(
        found["differing_rows"] == 0 for check in checks.values() for found in check.values()
    )
    # Rows a tool left out: expected of none but Feast (see the README).
    dropped = {
        f"{name}: {arm}": found["missing_rows"]
        for name, check in checks.items()
        for arm, found in check.items()
        if found["missing_rows"]
    }

    best_runs = {
        size: {a: best(c) for a, c in by_arm.items()} for size, by_arm in historical.items()
    }
    table_rows = retrieval_rows(best_runs, args.arms)
    targets = target_lines(table_rows)
    print()
    print(
        f"historical retrieval over {feature_rows:,} feature rows, fastest of {args.repeat}; "
        f"peak = the child process's RSS; memory cap {args.memory_cap_mb:,.0f} MB "
        "(est. = extrapolated from the largest size that finished)"
    )
    print_retrieval(table_rows, args.memory_cap_mb)
    for target in targets:
        print(
            f"  {target['rows']:,} rows: {target['text']}: {'met' if target['met'] else 'NOT met'}"
        )

    online_ratios: dict[str, Any] = {}
    if online:
        print()
        online_ratios = print_online(online, args.online_calls, args.warmup)
        mf_online = online.get("modelfleet")
        if mf_online is not None and mf_online.status == "ok":
            p99 = mf_online.result["lookups"]["hundred"]["p99_ms"]
            met = p99 < TARGET_ONLINE_P99_MS
            targets.append(
                {"rows": None, "text": f"100-entity p99 {p99:.3f} ms < 1 ms", "met": met}
            )
            print(
                f"  modelfleet 100-entity p99 {p99:.3f} ms "
                f"(target < {TARGET_ONLINE_P99_MS:g} ms): {'met' if met else 'NOT met'}"
            )

    print()
    for name, check in checks.items():
        for arm, found in check.items():
            print(
                f"check {name}: {arm} vs {found['reference']}: {found['rows_compared']} rows "
                f"compared, {found['differing_rows']} differing, {found['missing_rows']} missing"
                + (
                    " (all of them without a feature value in the reference)"
                    if found.get("missing_all_null_in_reference")
                    else ""
                )
            )
    for size in args.rows:
        returned = ", ".join(
            f"{ARM_NAMES[r['arm']]} {r['rows_returned']:,}"
            for r in table_rows
            if r["rows"] == size and r["rows_returned"] is not None
        )
        print(f"rows returned for {size:,} entity rows: {returned}")
    print(
        f"values equal where both return the row: {equal}; rows left out: {dropped or 'none'}; "
        f"network attempts blocked: {len(attempts)}; load average "
        f"{' '.join(f'{x:.2f}' for x in load_at_start)} at start, "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at end"
    )
    machine = bl.machine_info(PACKAGES)
    machine["feast_venv_packages"] = feast_info
    path = bl.write_result(
        "feature-store",
        {
            "benchmark": "feature-store",
            "machine": machine,
            "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "feature_rows": feature_rows,
            "load_average_at_start": load_at_start,
            "retrieval_table": table_rows,
            "targets": targets,
            "online_ratios": online_ratios,
            "historical": {
                str(size): {arm: [summarize(c) for c in done] for arm, done in by_arm.items()}
                for size, by_arm in historical.items()
            },
            "online": {arm: summarize(child) for arm, child in online.items()},
            "checks": checks,
            "all_equal": equal,
            "rows_left_out": dropped,
            "network_attempts": attempts,
        },
    )
    print(f"\nresults: {path.relative_to(bl.REPO_ROOT)}")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
