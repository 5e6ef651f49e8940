"""A small registry home for control-plane, client and CLI tests, built without training.

Runs are recorded as :class:`TenantRunRecord` directly with an explicit signature and a
stand-in model artifact (the run id's bytes, stored in the home's artifact store so version
reads verify it), so seeding takes milliseconds. The fleet ``demand`` has three environments
(dev -> staging -> prod); entering staging needs a 10% gain over the baseline, prod an approval.

Seeded state: ``s1``, ``s2`` and ``s3`` each have version 1.0.0 in dev; ``s2``'s candidate is
worse than its baseline (it cannot enter staging); ``s4``'s run was rejected (never registered).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from modelfleet.artifacts import open_artifact_store
from modelfleet.config.settings import Settings
from modelfleet.config.spec import load_spec
from modelfleet.registry.policy import PromotionPolicy
from modelfleet.registry.records import Signature, SignatureField
from modelfleet.registry.service import Registry
from modelfleet.tracking.records import ArtifactRecord, TenantRunRecord
from modelfleet.tracking.tracker import Tracker

FLEET = "demand"
T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
SIGNATURE = Signature(
    (SignatureField("lag_28", "double"), SignatureField("region", "string", categorical=True)),
    SignatureField("sales", "float64"),
)
SPEC: dict[str, Any] = {
    "name": FLEET,
    "description": "Daily demand per store.",
    "schema": {
        "tenant_key": "store",
        "timestamp": "date",
        "target": "sales",
        "columns": {"promo": "int"},
    },
    "sources": [{"name": "sales", "path": "sales.csv"}],
    "features": {"lags": [28], "covariates": ["promo"]},
    "promotion": {
        "order": ["dev", "staging", "prod"],
        "steps": {"staging": {"min_improvement": 0.1}, "prod": {"approval": True}},
    },
}
# tenant -> (candidate wmape, baseline wmape, tags)
TENANTS: dict[str, tuple[float, float, dict[str, str]]] = {
    "s1": (0.20, 0.30, {"customer": "acme", "tier": "gold"}),
    "s2": (0.40, 0.30, {"customer": "globex", "tier": "silver"}),
    "s3": (0.10, 0.30, {"customer": "initech", "tier": "gold"}),
}


def write_spec(folder: Path, body: dict[str, Any] | None = None) -> Path:
    """Write the fleet spec (or ``body``) as ``folder/fleet.yaml``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "fleet.yaml"
    path.write_text(yaml.safe_dump(body or SPEC, sort_keys=False), encoding="utf-8")
    return path


def run_id_for(tenant: str, n: int = 0) -> str:
    """A stable 32-hex run id per tenant (and retrain number)."""
    return hashlib.md5(f"{tenant}-{n}".encode()).hexdigest()


def store_model_bytes(settings: Settings, runs: list[TenantRunRecord]) -> None:
    """Store each run's stand-in model bytes (its id), which hash to its ``model`` digest."""
    store = open_artifact_store(settings.artifacts_url)
    for run in runs:
        store.put_bytes(run.run_id.encode())


def build_run(
    tenant: str, wmape: float, baseline: float, *, n: int = 0, **fields: Any
) -> TenantRunRecord:
    """A succeeded run of ``demand/tenant``: a stand-in model artifact, real-looking lineage."""
    run_id = run_id_for(tenant, n)
    digest = hashlib.sha256(run_id.encode()).hexdigest()
    values: dict[str, Any] = {
        "run_id": run_id,
        "fleet_run_id": "f" * 32,
        "fleet": FLEET,
        "tenant": tenant,
        "environment": "dev",
        "status": "succeeded",
        "started_at": T0 + timedelta(minutes=n),
        "finished_at": T0 + timedelta(minutes=n, seconds=5),
        "task_key": f"task-{run_id}",
        "config_hash": "cfg-1",
        "data_fingerprint": f"fp-{tenant}",
        "model_family": "lightgbm",
        "code_version": "abc123",
        "params": {"gates.metric": "wmape", "data.train_rows": 300, "data.holdout_rows": 28},
        "metrics": {"wmape": wmape, "mae": 100 * wmape},
        "baseline_metrics": {"wmape": baseline, "mae": 100 * baseline},
        "timings": {"fit": 0.5},
        "artifacts": (
            ArtifactRecord("model", "lightgbm", digest, f"file:///nowhere/{digest}", 10),
        ),
        "lineage": {"package.lightgbm": "4.5.0", "package.python": "3.11.9"},
    }
    values.update(fields)
    return TenantRunRecord(**values)


@dataclass(frozen=True)
class Seeded:
    """A seeded home: its settings and the fleet spec whose policy applies."""

    settings: Settings
    spec_path: Path

    @property
    def home(self) -> Path:
        """The modelfleet home folder."""
        return self.settings.home

    def policy(self) -> PromotionPolicy:
        """The fleet's promotion policy."""
        return PromotionPolicy.from_spec(load_spec(self.spec_path))


def seed_home(root: Path) -> Seeded:
    """Record runs, register versions and promote them to dev in a new home under ``root``."""
    settings = Settings.for_home(root / "home")
    spec_path = write_spec(root / "spec")
    with Tracker.open(settings.store_url) as tracker:
        fleet_run = tracker.start_fleet_run(FLEET, "dev", "cfg-1")
        runs = [build_run(t, w, b, fleet_run_id=fleet_run) for t, (w, b, _) in TENANTS.items()]
        rejected = build_run(
            "s4", 0.5, 0.3, fleet_run_id=fleet_run, status="rejected", reason="worse than baseline"
        )
        tracker.record_runs([*runs, rejected])
        store_model_bytes(settings, runs)
        tracker.finish_fleet_run(
            fleet_run, "succeeded", succeeded=3, rejected=1, failed=0, skipped=0
        )
        registry = Registry(tracker.store, settings.artifacts_url)
        for run in runs:
            registry.register(run, SIGNATURE, caller="trainer", tags=TENANTS[run.tenant][2])
        policy = PromotionPolicy.from_spec(load_spec(spec_path))
        registry.promote_fleet(FLEET, "dev", policy=policy, caller="trainer", reason="first")
    return Seeded(settings, spec_path)


def retrain(seeded: Seeded, tenant: str, wmape: float, baseline: float, n: int = 1) -> str:
    """Record a new succeeded run of ``tenant`` and register it; returns the new version."""
    with Tracker.open(seeded.settings.store_url) as tracker:
        fleet_run = tracker.start_fleet_run(FLEET, "dev", "cfg-1")
        run = build_run(tenant, wmape, baseline, n=n, fleet_run_id=fleet_run)
        tracker.record_runs([run])
        store_model_bytes(seeded.settings, [run])
        registry = Registry(tracker.store, seeded.settings.artifacts_url)
        return str(registry.register(run, SIGNATURE, caller="trainer").version)


def copy_seeded(template: Seeded, root: Path) -> Seeded:
    """A private copy of a seeded home (and its spec) under ``root``."""
    shutil.copytree(template.home, root / "home")
    spec_path = write_spec(root / "spec", yaml.safe_load(template.spec_path.read_text()))
    return Seeded(Settings.for_home(root / "home"), spec_path)
