"""A demo fleet trained, served into the prediction log and monitored with encryption on: no
artifact file and no database file holds plaintext, yet every version loads and predicts and
drift monitoring reads the logged inputs."""

from __future__ import annotations

import io
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
from modelfleet.crypto import KEYS_ENV, new_key_line, sealed_key_id
from modelfleet.data.demo import generate_demo_data
from modelfleet.doctor import examine
from modelfleet.errors import EncryptionKeyMissing
from modelfleet.monitoring.windows import live_window
from modelfleet.pipeline.executors import InlineExecutor
from modelfleet.registry.reads import ArtifactStores, VersionArtifacts
from modelfleet.scoring.log import PredictionLog
from modelfleet.scoring.service import Prediction
from modelfleet.store import MetadataStore, open_store
from modelfleet.training.frames import HOLDOUT_TARGET, HOLDOUT_TIMESTAMP

PLANTED = "planted-customer-3f9c1e@example.com"  # a value only the logged inputs hold
KEYS = f"{new_key_line('k2')},{new_key_line('k1')}"


@dataclass
class Encrypted:
    client: Client
    store: MetadataStore
    fleet: str
    tenants: tuple[str, ...]
    since: datetime
    until: datetime
    home: Path


def _holdout(client: Client, model: str) -> tuple[Any, list[dict[str, Any]], Any]:
    version = client.resolve(f"{model}@dev")
    artifacts = VersionArtifacts(version, ArtifactStores(client.settings.artifacts_url))
    package = artifacts.load_package()
    assert version.holdout_digest is not None
    table = pq.read_table(io.BytesIO(artifacts.get_bytes(version.holdout_digest)))
    rows = package.meta.decode_categories(table.drop_columns([HOLDOUT_TARGET, HOLDOUT_TIMESTAMP]))
    return package, rows.to_pylist(), table[HOLDOUT_TIMESTAMP].to_numpy()


def _log(log: PredictionLog, fleet: str, tenant: str, version: str, rows: Any) -> None:
    package, records, stamps = rows
    records = [{**record, "customer_email": PLANTED} for record in records]
    prediction = Prediction(
        request_id=f"{tenant}-req",
        model=f"{fleet}/{tenant}",
        version=version,
        environment="dev",
        arm="champion",
        timestamps=np.asarray(stamps).astype("datetime64[ns]"),
        values=package.predict(pa.Table.from_pylist(records), stamps),
        seconds=0.001,
    )
    log.submit(fleet, tenant, prediction, records)


@pytest.fixture(scope="module")
def encrypted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Encrypted]:
    root = tmp_path_factory.mktemp("encrypted")
    demo = generate_demo_data(root / "demo", stores=3, days=200, seed=1)
    spec = yaml.safe_load(demo.spec_path.read_text())
    spec["model"]["pooled"] = False
    spec["gates"]["min_improvement"] = -1.0  # every tenant's model is registered and live
    demo.spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(KEYS_ENV, KEYS)
        home = root / "home"
        with modelfleet.connect(home=str(home), environ={}) as client:
            summary = client.train(demo.spec_path, "dev", executor=InlineExecutor())
            fleet, tenants = summary.fleet, tuple(sorted(summary.versions))
            for tenant in tenants:
                assert client.promote(f"{fleet}/{tenant}", "dev", spec=demo.spec_path).moved
            since = datetime.now(UTC) - timedelta(seconds=1)
            store = open_store(client.settings.store_url)
            log = PredictionLog(store, flush_seconds=0.01)
            for tenant in tenants:
                rows = _holdout(client, f"{fleet}/{tenant}")
                _log(log, fleet, tenant, summary.versions[tenant], rows)
            log.close()
            until = datetime.now(UTC) + timedelta(seconds=1)
            yield Encrypted(client, store, fleet, tenants, since, until, home)
            store.close()


def _files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_no_artifact_file_holds_the_model_metadata_in_plaintext(encrypted: Encrypted) -> None:
    client = encrypted.client
    version = client.resolve(f"{encrypted.fleet}/{encrypted.tenants[0]}@dev")
    run = encrypted.store.get_run(version.run_id or "")
    stores = ArtifactStores(client.settings.artifacts_url)
    (meta,) = [a for a in run.artifacts if a.name == "model_meta"]
    marker = stores.of(version).get_bytes(meta.digest)[:40]  # the decrypted JSON's opening
    files = _files(encrypted.home / "artifacts")

    assert files
    assert not [path for path in files if marker in path.read_bytes()]


def test_every_artifact_file_is_sealed_with_the_current_key(encrypted: Encrypted) -> None:
    ids = {sealed_key_id(path.read_bytes()) for path in _files(encrypted.home / "artifacts")}

    assert ids == {"k2"}


def test_every_live_version_loads_and_predicts_its_holdout(encrypted: Encrypted) -> None:
    for tenant in encrypted.tenants:
        package, records, stamps = _holdout(encrypted.client, f"{encrypted.fleet}/{tenant}")
        predicted = package.predict(pa.Table.from_pylist(records), stamps)

        assert len(predicted) == len(records) and np.isfinite(predicted).all()


def test_the_database_files_do_not_hold_the_planted_input(encrypted: Encrypted) -> None:
    databases = [p for p in encrypted.home.iterdir() if p.name.startswith("modelfleet.db")]

    assert databases
    assert not [path for path in databases if PLANTED.encode() in path.read_bytes()]


def test_the_log_reads_back_the_planted_input(encrypted: Encrypted) -> None:
    rows = encrypted.store.list_predictions(encrypted.fleet, encrypted.tenants[0], limit=1)

    assert PLANTED in rows[0].inputs


def test_drift_monitoring_reads_the_sealed_inputs_as_logged(encrypted: Encrypted) -> None:
    client = encrypted.client
    live = live_window(
        encrypted.store,
        ArtifactStores(client.settings.artifacts_url),
        encrypted.fleet,
        "dev",
        encrypted.since,
        encrypted.until,
    )
    tenant = encrypted.tenants[0]
    package, records, _ = _holdout(client, f"{encrypted.fleet}/{tenant}")
    expected = package.meta.encode(pa.Table.from_pylist(records))
    rows = live.window.tenant_index == live.window.tenants.index(tenant)

    assert live.window.tenants == encrypted.tenants
    for name in package.meta.feature_columns:
        found = live.window.columns[name][rows]
        wanted = expected[name].to_numpy(zero_copy_only=False).astype(float)
        assert np.allclose(found, wanted, equal_nan=True), name


def test_the_log_without_its_keys_names_the_tenant_and_key(
    encrypted: Encrypted, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEYS_ENV)
    tenant = encrypted.tenants[0]

    with pytest.raises(EncryptionKeyMissing, match=rf"{encrypted.fleet}/{tenant}.*key 'k2'"):
        encrypted.store.list_predictions(encrypted.fleet, tenant, limit=1)


def test_the_doctor_verifies_every_sealed_artifact(encrypted: Encrypted) -> None:
    settings = encrypted.client.settings

    report = examine(settings.store_url, settings.artifacts_url)

    assert report.ok, [r.to_json() for r in report.results if not r.ok]


def test_the_doctor_without_the_keys_names_the_key_and_deletes_nothing(
    encrypted: Encrypted, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = encrypted.client.settings
    before = {path: path.read_bytes() for path in _files(encrypted.home / "artifacts")}
    monkeypatch.delenv(KEYS_ENV)

    report = examine(settings.store_url, settings.artifacts_url)

    problems = [f.problem for r in report.results for f in r.findings]
    assert not report.ok
    assert problems and all("key 'k2'" in problem for problem in problems)
    assert {path: path.read_bytes() for path in _files(encrypted.home / "artifacts")} == before
