"""A demo fleet trained once per module, promoted to dev, with a prediction log written by the
real logger: each tenant's holdout rows several times (the first tenant's numbers jumped
tenfold), plus one shadow copy answered by a version that is not live."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

import modelfleet
from modelfleet.client import Client
from modelfleet.data.demo import generate_demo_data
from modelfleet.pipeline.executors import InlineExecutor
from modelfleet.registry.reads import ArtifactStores, VersionArtifacts
from modelfleet.scoring.log import PredictionLog
from modelfleet.scoring.service import Prediction
from modelfleet.store import MetadataStore, open_store
from modelfleet.training.frames import HOLDOUT_TARGET, HOLDOUT_TIMESTAMP
from modelfleet.training.package import ModelPackage

REPEATS = 4  # each tenant's holdout rows logged this many times: enough rows to test


@dataclass
class Logged:
    client: Client
    store: MetadataStore
    fleet: str
    tenants: tuple[str, ...]
    since: datetime
    until: datetime
    spec_path: Path
    demo_dir: Path
    holdout_dates: dict[str, list[str]]  # tenant -> the holdout dates its predictions are for
    repeats: int = REPEATS


def holdout(client: Client, model: str) -> tuple[ModelPackage, list[dict[str, Any]], Any]:
    version = client.resolve(f"{model}@dev")
    artifacts = VersionArtifacts(version, ArtifactStores(client.settings.artifacts_url))
    package = artifacts.load_package()
    assert version.holdout_digest is not None
    table = pq.read_table(io.BytesIO(artifacts.get_bytes(version.holdout_digest)))
    rows = package.meta.decode_categories(table.drop_columns([HOLDOUT_TARGET, HOLDOUT_TIMESTAMP]))
    return package, rows.to_pylist(), table[HOLDOUT_TIMESTAMP].to_numpy()


def _submit(
    log: PredictionLog,
    fleet: str,
    tenant: str,
    version: str,
    arm: str,
    records: list[Any],
    stamps: Any,
    values: Any,
) -> None:
    prediction = Prediction(
        request_id=f"{tenant}-{arm}-{len(records)}",
        model=f"{fleet}/{tenant}",
        version=version,
        environment="dev",
        arm=arm,
        timestamps=np.asarray(stamps).astype("datetime64[ns]"),
        values=values,
        seconds=0.001,
    )
    log.submit(fleet, tenant, prediction, records)


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logged]:
    root = tmp_path_factory.mktemp("live-window")
    demo = generate_demo_data(root / "demo", stores=4, days=200, seed=0)
    spec = yaml.safe_load(demo.spec_path.read_text())
    spec["model"]["pooled"] = False
    spec["gates"]["min_improvement"] = -1.0  # every tenant's model is registered and live
    demo.spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    with modelfleet.connect(home=str(root / "home"), environ={}) as client:
        summary = client.train(demo.spec_path, "dev", executor=InlineExecutor())
        fleet, tenants = summary.fleet, tuple(sorted(summary.versions))
        for tenant in tenants:
            assert client.promote(f"{fleet}/{tenant}", "dev", spec=demo.spec_path).moved
        since = datetime.now(UTC) - timedelta(seconds=1)
        store = open_store(client.settings.store_url)
        log = PredictionLog(store, flush_seconds=0.01)
        dates: dict[str, list[str]] = {}
        for tenant in tenants:
            package, records, stamps = holdout(client, f"{fleet}/{tenant}")
            dates[tenant] = [str(d)[:10] for d in np.asarray(stamps).astype("datetime64[D]")]
            version = summary.versions[tenant]
            if tenant == tenants[0]:  # this tenant's numbers all jump tenfold
                numeric = [
                    c for c in package.meta.feature_columns if c not in package.meta.vocabulary
                ]
                records = [
                    {
                        k: (v * 10 + 100 if k in numeric and v is not None else v)
                        for k, v in r.items()
                    }
                    for r in records
                ]
            values = package.predict(pa.Table.from_pylist(records), stamps)  # what it answered
            for _ in range(REPEATS):
                _submit(log, fleet, tenant, version, "champion", records, stamps, values)
            # A shadow copy from a version that is not live: counted, never tested.
            _submit(log, fleet, tenant, "0.0.1", "shadow", records, stamps, values)
        log.close()
        until = datetime.now(UTC) + timedelta(seconds=1)
        yield Logged(
            client, store, fleet, tenants, since, until, demo.spec_path, demo.out_dir, dates
        )
        store.close()


@pytest.fixture
def holdout_of() -> Any:
    """``holdout_of(client, model)``: the dev version's package, holdout records and stamps."""
    return holdout


@pytest.fixture
def run_cli(logged: Logged, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``run_cli(*args)``: ``modelfleet *args`` in this process on the logged home; exit code."""
    from modelfleet.cli.app import main

    def run(*args: str) -> int:
        for name in [n for n in os.environ if n.startswith("MODELFLEET_")]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("MODELFLEET_HOME", str(logged.client.settings.home))
        monkeypatch.setattr(sys, "argv", ["modelfleet", *args])
        try:
            main()
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else 0
        return 0

    return run
