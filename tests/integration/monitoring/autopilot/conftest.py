"""Simulated fleets live in prod, for the autopilot's scenarios.

``make_fleet`` trains a demo fleet, promotes every tenant dev -> staging -> prod and returns a
:class:`Fleet` whose helpers write what serving and ground truth would: inputs sampled from each
live version's own reference profile (so an untouched tenant has no drift by construction), the
same inputs shifted for chosen tenants, logged predictions of any version and arm, and actuals
through ``feedback`` in the fleet's own file format.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

import modelfleet
from modelfleet.client import Client
from modelfleet.data.demo import DemoData, generate_demo_data
from modelfleet.monitoring.autopilot.service import AutopilotPass
from modelfleet.pipeline.executors import InlineExecutor
from modelfleet.registry.reads import ArtifactStores, VersionArtifacts
from modelfleet.scoring.log import PredictionLog
from modelfleet.scoring.service import Prediction
from modelfleet.store import MetadataStore, open_store
from modelfleet.training.frames import HOLDOUT_TIMESTAMP
from modelfleet.training.package import ModelPackage
from modelfleet.training.profiles import PROFILE_ARTIFACT, ReferenceProfile, profile_from_json

CALM_ROWS = 120  # logged rows per tenant: well above the drift test's min_rows (30)


def sample_records(
    profile: ReferenceProfile, package: ModelPackage, n: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """``n`` input rows drawn from the training distribution a profile records.

    A numeric value is drawn by its bin's training count, then uniformly inside the bin (or the
    bin's own value where every cut is a whole number: a flag, a weekday); a category by its
    code's count; nulls at the training null rate.
    """
    columns: dict[str, list[Any]] = {}
    for column in profile.features:
        counts = np.asarray(column.counts, dtype=float)
        if counts.sum() == 0:  # never seen in training (a lag longer than the history)
            columns[column.name] = [None] * n
            continue
        picked = rng.choice(len(counts), size=n, p=counts / counts.sum())
        if column.kind == "categorical":
            vocabulary = package.meta.vocabulary[column.name]
            values: list[Any] = [vocabulary[int(code)] for code in picked]
        else:
            assert column.minimum is not None and column.maximum is not None
            edges = np.asarray([column.minimum, *column.cuts, column.maximum], dtype=float)
            low, high = edges[picked], edges[picked + 1]
            discrete = all(float(c).is_integer() for c in edges)
            drawn = low if discrete else low + rng.uniform(0, 1, n) * (high - low)
            values = drawn.tolist()
        nulls = rng.uniform(0, 1, n) < column.null_rate
        columns[column.name] = [None if null else v for v, null in zip(values, nulls, strict=True)]
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def shifted(records: list[dict[str, Any]], package: ModelPackage) -> list[dict[str, Any]]:
    """The same rows with every numeric input tripled and moved up: a covariate shift."""
    numeric = [c for c in package.meta.feature_columns if c not in package.meta.vocabulary]
    return [
        {k: (v * 3 + 50 if k in numeric and v is not None else v) for k, v in row.items()}
        for row in records
    ]


@dataclass
class Fleet:
    client: Client
    store: MetadataStore
    demo: DemoData
    fleet: str
    tenants: tuple[str, ...]
    versions: dict[str, str]  # tenant -> the version live in prod at the start
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(7))

    @property
    def spec_path(self) -> Path:
        return self.demo.spec_path

    def model(self, tenant: str) -> str:
        return f"{self.fleet}/{tenant}"

    def live(self, tenant: str, environment: str = "prod") -> str:
        return str(self.client.resolve(f"{self.model(tenant)}@{environment}").version)

    def package(self, tenant: str, version: str) -> tuple[ModelPackage, ReferenceProfile, Any]:
        """A version's package, its reference profile and its holdout dates."""
        found = self.client.resolve(f"{self.model(tenant)}:{version}")
        artifacts = VersionArtifacts(found, ArtifactStores(self.client.settings.artifacts_url))
        assert found.run_id is not None and found.holdout_digest is not None
        digest = self.store.artifact_digests([found.run_id], PROFILE_ARTIFACT)[found.run_id]
        profile = profile_from_json(artifacts.get_bytes(digest))
        holdout = pq.read_table(io.BytesIO(artifacts.get_bytes(found.holdout_digest)))
        return artifacts.load_package(), profile, holdout[HOLDOUT_TIMESTAMP].to_numpy()

    def serve_live_inputs(self, shift: Sequence[str] = ()) -> None:
        """Log each live version answering CALM_ROWS inputs from its training distribution,
        shifted for the tenants in ``shift``."""
        log = PredictionLog(self.store, flush_seconds=0.01)
        try:
            for tenant in self.tenants:
                version = self.live(tenant)
                package, profile, stamps = self.package(tenant, version)
                records = sample_records(profile, package, CALM_ROWS, self.rng)
                if tenant in shift:
                    records = shifted(records, package)
                days = np.sort(np.resize(np.asarray(stamps).astype("datetime64[ns]"), CALM_ROWS))
                values = package.predict(pa.Table.from_pylist(records), days)
                self._submit(log, tenant, version, "champion", days, values, records)
        finally:
            log.close()

    def serve(
        self,
        tenant: str,
        version: str,
        arm: str,
        days: Sequence[date],
        values: Sequence[float],
    ) -> None:
        """Log ``version`` answering one forecast per day (inputs beside the point here)."""
        log = PredictionLog(self.store, flush_seconds=0.01)
        try:
            stamps = np.asarray([np.datetime64(d, "ns") for d in days])
            records = [{"promo": 0} for _ in days]
            self._submit(log, tenant, version, arm, stamps, np.asarray(values), records)
        finally:
            log.close()

    def _submit(
        self,
        log: PredictionLog,
        tenant: str,
        version: str,
        arm: str,
        stamps: Any,
        values: Any,
        records: list[dict[str, Any]],
    ) -> None:
        prediction = Prediction(
            request_id=f"{tenant}-{version}-{arm}-{self.rng.integers(1 << 40)}",
            model=self.model(tenant),
            version=version,
            environment="prod",
            arm=arm,
            timestamps=stamps,
            values=values,
            seconds=0.001,
        )
        assert log.submit(self.fleet, tenant, prediction, records)

    def send_actuals(self, rows: Sequence[tuple[str, date, float]], name: str = "actuals") -> None:
        """Ground truth in the fleet's own sales format, through ``feedback``."""
        path = self.demo.out_dir / f"{name}.csv"
        with path.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["store_id", "date", "sales", "promo", "open"])
            writer.writerows((t, d.isoformat(), v, 0, 1) for t, d, v in rows)
        report = self.client.feedback(self.spec_path, path)
        assert report.new + report.revised == len(rows), report

    def new_data_for(self, tenants: Sequence[str]) -> None:
        """Revise these tenants' sales a little, so retraining them has new data to learn."""
        path = self.demo.sales_path
        with path.open(newline="") as source:
            rows = list(csv.DictReader(source))
        for row in rows:
            if row["store_id"] in tenants and row["sales"]:
                row["sales"] = f"{float(row['sales']) * 1.02:.2f}"
        with path.open("w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)

    def autopilot(self, **options: Any) -> AutopilotPass:
        return self.client.autopilot(self.spec_path, environment="prod", **options)


FleetFactory = Callable[..., Fleet]


@pytest.fixture
def make_fleet(tmp_path: Path) -> Iterator[FleetFactory]:
    """``make_fleet(stores=6, autopilot={...}, prod_step={...}, sinks=[...])``: a demo fleet
    live in prod."""
    opened: list[tuple[Client, MetadataStore]] = []

    def build(
        stores: int = 6,
        autopilot: dict[str, Any] | None = None,
        prod_step: dict[str, Any] | None = None,
        sinks: list[dict[str, Any]] | None = None,
    ) -> Fleet:
        demo = generate_demo_data(tmp_path / "demo", stores=stores, days=200, seed=0)
        spec = yaml.safe_load(demo.spec_path.read_text())
        spec["model"]["pooled"] = False
        spec["gates"]["min_improvement"] = -1.0  # every tenant's model is registered
        spec["promotion"]["steps"] = {"prod": prod_step or {}}
        spec["monitoring"] = {"autopilot": autopilot or {}}
        if sinks is not None:
            spec["monitoring"]["alerts"] = {"sinks": sinks}
        demo.spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
        environ = {"MODELFLEET_EXECUTOR": "inline"}
        client = modelfleet.connect(home=str(tmp_path / "home"), environ=environ)
        summary = client.train(demo.spec_path, "dev", executor=InlineExecutor())
        for tenant, version in summary.versions.items():
            for env in ("dev", "staging", "prod"):
                moved = client.promote(f"{summary.fleet}/{tenant}", env, spec=demo.spec_path)
                if moved.pending_approval:
                    client.approve(f"{summary.fleet}/{tenant}", version, env)
                    moved = client.promote(f"{summary.fleet}/{tenant}", env, spec=demo.spec_path)
                assert moved.moved, moved.reason
        store = open_store(client.settings.store_url)
        opened.append((client, store))
        tenants = tuple(sorted(summary.versions))
        return Fleet(client, store, demo, summary.fleet, tenants, dict(summary.versions))

    yield build
    for client, store in opened:
        store.close()
        client.close()


def days_before(end: datetime, count: int) -> list[date]:
    """The ``count`` whole days before ``end``'s date, oldest first."""
    last = end.astimezone(UTC).date()
    return [last - timedelta(days=count - i) for i in range(count)]


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """``run_cli(fleet, *args)``: ``modelfleet *args`` in this process on the fleet's home."""
    import os
    import sys

    from modelfleet.cli.app import main

    def run(fleet: Fleet, *args: str) -> int:
        for name in [n for n in os.environ if n.startswith("MODELFLEET_")]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("MODELFLEET_HOME", str(fleet.client.settings.home))
        monkeypatch.setenv("MODELFLEET_EXECUTOR", "inline")
        monkeypatch.setattr(sys, "argv", ["modelfleet", *args])
        try:
            main()
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else 0
        return 0

    return run
