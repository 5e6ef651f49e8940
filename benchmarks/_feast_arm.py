"""The Feast contestant of ``bench_feature_store.py``, run in Feast's own virtualenv.

Usage (the benchmark does this): ``<workdir>/feast-venv/bin/python benchmarks/_feast_arm.py
<job.json>``. It builds a fresh local Feast repository in the job's output folder
(``provider: local``, file offline store, SQLite online store, file registry), applies the entity
and feature view before any clock starts, then runs the job through the same child-side code as
the other contestants (``bench_feature_store.run_historical`` / ``run_online``), which writes
``result.json`` and the sampled rows for the parent. Imports of ``bench_feature_store`` are
limited to what this venv has (the standard library, numpy and pyarrow).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import bench_feature_store as bench

FEATURE_REFS = [f"{bench.VIEW}:{name}" for name in bench.FEATURES]


def feast_store(job: dict[str, Any]) -> Any:
    """A Feast ``FeatureStore`` over ``job["features"]``, definitions applied."""
    from feast import Entity, FeatureStore, FeatureView, Field, FileSource, ValueType
    from feast.types import Float64

    repo = Path(job["out"]) / "feast-repo"
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "feature_store.yaml").write_text(
        "project: bench\n"
        "provider: local\n"
        f"registry: {repo / 'registry.db'}\n"
        "offline_store:\n"
        "  type: file\n"
        "online_store:\n"
        "  type: sqlite\n"
        f"  path: {repo / 'online.db'}\n"
        "entity_key_serialization_version: 3\n"
    )
    store = FeatureStore(repo_path=str(repo))
    entity = Entity(name="entity", join_keys=[bench.ENTITY_KEY], value_type=ValueType.INT64)
    source = FileSource(name="stats_source", path=job["features"], timestamp_field=bench.TIMESTAMP)
    view = FeatureView(
        name=bench.VIEW,
        entities=[entity],
        ttl=timedelta(days=bench.TTL_DAYS),
        schema=[Field(name=name, dtype=Float64) for name in bench.FEATURES],
        source=source,
        online=True,
    )
    store.apply([entity, view])
    return store


def historical(job: dict[str, Any]) -> Callable[[], Any]:
    """``get_historical_features(entity_df=<pandas>, features=[...]).to_df()``; with
    ``job["chunk_rows"]``, one call per slice of that many entity rows, results concatenated."""
    import pandas as pd
    import pyarrow.parquet as pq

    store = feast_store(job)
    entity_df = pq.read_table(job["entities"]).to_pandas()

    def retrieve(frame: Any) -> Any:
        return store.get_historical_features(entity_df=frame, features=FEATURE_REFS).to_df()

    size = job.get("chunk_rows")
    if not size:
        return lambda: retrieve(entity_df)
    chunks = [entity_df.iloc[i : i + size] for i in range(0, len(entity_df), size)]
    return lambda: pd.concat([retrieve(chunk) for chunk in chunks], ignore_index=True)


def online(job: dict[str, Any]) -> bench.OnlineArm:
    """``materialize(start, end)`` then ``get_online_features(...).to_dict()``."""
    import pyarrow as pa

    store = feast_store(job)
    start = datetime.fromisoformat(job["start"])
    end = datetime.fromisoformat(job["end"])

    def lookup(ids: list[int]) -> dict[str, list[Any]]:
        rows = {bench.ENTITY_KEY: ids}
        return store.get_online_features(features=FEATURE_REFS, entity_rows=rows).to_dict()

    def to_arrow(found: dict[str, list[Any]]) -> Any:
        columns = {bench.ENTITY_KEY: pa.array(found[bench.ENTITY_KEY], pa.int64())}
        for name in bench.FEATURES:
            columns[name] = pa.array(found[name], pa.float64())
        return pa.table(columns)

    return bench.OnlineArm(
        materialize=lambda: store.materialize(
            start_date=start, end_date=end, feature_views=[bench.VIEW]
        ),
        lookup=lookup,
        to_arrow=to_arrow,
    )


def main(job_path: Path) -> int:
    """Run one job."""
    job = json.loads(job_path.read_text())
    if job["mode"] == "historical":
        bench.run_historical(job, historical)
    else:
        bench.run_online(job, online)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
