"""Planted personal data never reaches a store, a file or a log line.

A demo fleet gets three personal columns on its stores (an e-mail hashed, a phone masked, a
name dropped) and a hashed cashier e-mail on every sales row. The fleet is trained, promoted and
served by the real prediction server; requests carry the raw values too. Then every byte under
the modelfleet home (the SQLite metadata store with its WAL, the online store, every artifact)
and every captured log record is searched for the planted values.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml
from fastapi.testclient import TestClient

import modelfleet
from modelfleet.config.spec import load_spec
from modelfleet.data.demo import generate_demo_data
from modelfleet.features.history import read_history
from modelfleet.features.online.backends import open_online_store
from modelfleet.pipeline.executors import InlineExecutor
from modelfleet.serving.app import create_app
from modelfleet.store import open_store

KEY = b"test-only-pii-key-0123456789abcdef"
COVARIATES = ("promo", "open", "holiday")


def _email(store: str) -> str:
    return f"manager.{store}@planted-pii.example"


def _phone(store: str) -> str:
    return f"+49 30 5550 {store}1{store}7"


def _name(store: str) -> str:
    return f"Ottilie Plantedname-{store}"


def _cashier(row: int) -> str:
    return f"cashier-{row % 3}@planted-pii.example"


@dataclass
class Proof:
    home: Path
    planted: tuple[str, ...]
    hashed_email: str  # the keyed hash of store 1's manager e-mail
    logs: str
    forecast_status: int
    predict_status: int
    logged_inputs: list[str]
    history: str  # every tenant's rows in the online store, decoded (they are stored as Arrow)


def _plant(out: Path) -> tuple[Path, tuple[str, ...]]:
    """Demo data with personal columns added, and a fleet.yaml declaring their policies."""
    demo = generate_demo_data(out, stores=4, days=200, seed=0)
    text = pacsv.ConvertOptions(column_types={"store_id": pa.string(), "date": pa.string()})
    stores = pacsv.read_csv(demo.stores_path, convert_options=text)
    ids = stores["store_id"].to_pylist()
    for column, values in (
        ("manager_email", [_email(s) for s in ids]),
        ("manager_phone", [_phone(s) for s in ids]),
        ("owner_name", [_name(s) for s in ids]),
    ):
        stores = stores.append_column(column, pa.array(values))
    pacsv.write_csv(stores, demo.stores_path)
    sales = pacsv.read_csv(demo.sales_path, convert_options=text)
    cashiers = [_cashier(i) for i in range(sales.num_rows)]
    pacsv.write_csv(sales.append_column("cashier", pa.array(cashiers)), demo.sales_path)
    (out / "pii.key").write_bytes(KEY + b"\n")
    spec = yaml.safe_load(demo.spec_path.read_text())
    spec["model"]["pooled"] = False
    spec["gates"]["min_improvement"] = -1.0
    spec["schema"]["columns"].update(
        {"manager_email": "str", "manager_phone": "str", "owner_name": "str", "cashier": "str"}
    )
    spec["checks"]["nullable"] = ["cashier"]  # the partner stores' files have no cashier
    spec["pii"] = {
        "key_file": "pii.key",
        "columns": {
            "manager_email": "hash",
            "manager_phone": "mask",
            "owner_name": "drop",
            "cashier": "hash",
        },
    }
    demo.spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    planted = (
        *(f(s) for s in ids for f in (_email, _phone, _name)),
        *sorted(set(cashiers)),
    )
    return demo.spec_path, planted


@pytest.fixture(scope="module")
def proof(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proof]:
    root = tmp_path_factory.mktemp("pii")
    spec_path, planted = _plant(root / "demo")
    home = root / "home"
    handler = _Capture()
    logging.getLogger().addHandler(handler)
    previous = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        with modelfleet.connect(home=str(home), environ={}) as client:
            summary = client.train(spec_path, "dev", executor=InlineExecutor())
            assert summary.versions, summary
            for tenant in summary.versions:
                client.promote(f"{summary.fleet}/{tenant}", "dev", spec=spec_path)
            spec = load_spec(spec_path, "dev")
            app = create_app(client.settings, "dev", specs=[spec])
            tenant = sorted(summary.versions)[0]
            pii = {"manager_email": _email(tenant), "manager_phone": _phone(tenant)}
            dates = [
                {"date": f"2023-07-{day:02d}", "promo": 0, "open": 1, "holiday": 0, **pii}
                for day in (21, 22)
            ]
            records = [{**d, "owner_name": _name(tenant), "cashier": _cashier(0)} for d in dates]
            with TestClient(app) as http:
                base = f"/v1/fleets/{summary.fleet}/tenants/{tenant}"
                forecast = http.post(f"{base}/forecast", json={"records": records})
                predict = http.post(f"{base}/predict", json={"records": records})
            store = open_store(client.settings.store_url)
            logged = [r.inputs for r in store.list_predictions(summary.fleet, tenant)]
            store.close()
            online = open_online_store(client.settings.online_url)
            tables = read_history(online, summary.fleet, sorted(summary.versions))
            history = "\n".join(str(t.to_pylist()) for t in tables.values())
            online.close()
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(previous)
    digest = hmac.digest(KEY, _email(tenant).encode(), hashlib.sha256).hex()[:32]
    yield Proof(
        home,
        planted,
        digest,
        handler.text(),
        forecast.status_code,
        predict.status_code,
        logged,
        history,
    )


class _Capture(logging.Handler):
    """Every log record of every logger, formatted with its arguments and exception."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def text(self) -> str:
        return "\n".join(self.lines)


def _files(home: Path) -> list[Path]:
    return sorted(p for p in home.rglob("*") if p.is_file())


def _readable(path: Path) -> bytes:
    """A file's bytes, plus the values of a Parquet file (its pages may be compressed)."""
    data = path.read_bytes()
    if data.startswith(b"PAR1"):
        data += str(pq.read_table(path).to_pylist()).encode()
    return data


def test_the_served_forecast_carrying_raw_personal_data_is_answered(proof: Proof) -> None:
    assert proof.forecast_status == 200


def test_the_prediction_log_holds_the_forecast_inputs_with_the_email_hashed(proof: Proof) -> None:
    assert any(proof.hashed_email in inputs for inputs in proof.logged_inputs)


def test_no_planted_value_is_in_any_file_of_the_home(proof: Proof) -> None:
    files = _files(proof.home)
    assert any(p.name == "modelfleet.db" for p in files)
    assert any(p.name == "online.db" for p in files)
    assert any("artifacts" in p.parts for p in files)
    found = [
        (str(path.relative_to(proof.home)), value)
        for path in files
        for value in proof.planted
        if value.encode() in _readable(path)
    ]
    assert found == []


def test_no_planted_value_is_in_the_online_stores_decoded_history(proof: Proof) -> None:
    assert [value for value in proof.planted if value in proof.history] == []


def test_the_online_store_holds_the_keyed_hash_in_place_of_the_email(proof: Proof) -> None:
    assert proof.hashed_email in proof.history


def test_no_planted_value_is_in_any_captured_log_record(proof: Proof) -> None:
    assert proof.logs  # training and serving did log
    assert [value for value in proof.planted if value in proof.logs] == []


def test_a_predict_with_fields_the_model_does_not_take_is_refused(proof: Proof) -> None:
    # The refusal names the fields only; the scan above covers what was stored of it.
    assert proof.predict_status == 422
