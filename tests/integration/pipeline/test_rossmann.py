"""The Rossmann example fleet, on real data: a sample of stores trains and beats the baseline.

``examples/rossmann/fleet.yaml`` reads the Kaggle files from ``<repo>/../shared/datasets/
rossmann-store-sales/`` (never part of the repository); the test skips when they are absent.
The sample is every 56th store (20 stores), which includes stores with the second-half-2014
refurbishment gap; the test checks that it does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from modelfleet.config.settings import Settings
from modelfleet.config.spec import FleetSpec, TenantsSpec, load_spec
from modelfleet.pipeline.executors import InlineExecutor
from modelfleet.pipeline.runner import FleetRunSummary, train_fleet

REPO = Path(__file__).resolve().parents[3]
DATA = REPO.parent / "shared" / "datasets" / "rossmann-store-sales"
EXAMPLE = REPO / "examples" / "rossmann" / "fleet.yaml"
SAMPLE = tuple(str(store) for store in range(1, 1116, 56))
FULL_HISTORY_DAYS = 942  # 2013-01-01 .. 2015-07-31
HORIZON = 42
MIN_SHARE_BEATING_BASELINE = 0.9

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (DATA / "train.csv").is_file() or not (DATA / "store.csv").is_file(),
        reason=f"Rossmann data not found at {DATA} (train.csv, store.csv); see the example's "
        "header for where to put it",
    ),
]


@dataclass(frozen=True)
class Trained:
    spec: FleetSpec
    summary: FleetRunSummary
    settings: Settings


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    spec = load_spec(EXAMPLE, "dev")
    spec = spec.model_copy(update={"tenants": TenantsSpec(include=SAMPLE)})
    settings = Settings.for_home(tmp_path_factory.mktemp("rossmann"))
    summary = train_fleet(spec, settings, caller="test", executor=InlineExecutor())
    yield Trained(spec, summary, settings)


@pytest.fixture(scope="module")
def rows_per_store() -> dict[str, int]:
    """Rows of every sampled store in train.csv, counted independently of modelfleet."""
    stores = ", ".join(SAMPLE)
    query = (
        f"SELECT CAST(Store AS VARCHAR), count(*) FROM read_csv('{DATA / 'train.csv'}') "
        f"WHERE Store IN ({stores}) GROUP BY Store"
    )
    return dict(duckdb.sql(query).fetchall())


def test_the_example_reads_the_shared_dataset() -> None:
    spec = load_spec(EXAMPLE, "dev")

    assert {spec.source_path(s).resolve() for s in spec.sources} == {
        (DATA / "train.csv").resolve(),
        (DATA / "store.csv").resolve(),
    }


def test_the_sample_includes_stores_with_the_2014_gap(rows_per_store: dict[str, int]) -> None:
    gap_stores = [s for s, n in rows_per_store.items() if n < FULL_HISTORY_DAYS - 1]

    assert len(rows_per_store) == len(SAMPLE)
    assert gap_stores, "pick a sample that includes a store with the refurbishment gap"


def test_every_sampled_store_trains(trained: Trained) -> None:
    runs = {r.tenant: r for r in trained.summary.records}

    assert sorted(runs) == sorted(SAMPLE)
    assert {t: r.status for t, r in runs.items() if r.status == "failed"} == {}


def test_the_holdout_is_the_last_42_days_of_every_store(
    trained: Trained, rows_per_store: dict[str, int]
) -> None:
    for run in trained.summary.records:
        assert run.params["data.holdout_rows"] == HORIZON
        assert run.params["data.train_rows"] + HORIZON == rows_per_store[run.tenant]


def test_the_models_beat_seasonal_naive_on_wmape_for_most_stores(trained: Trained) -> None:
    records = trained.summary.records
    beating = [r.tenant for r in records if r.metrics["wmape"] < r.baseline_metrics["wmape"]]

    assert {r.params["baseline.family"] for r in records} == {"seasonal_naive"}
    assert len(beating) >= MIN_SHARE_BEATING_BASELINE * len(SAMPLE), sorted(
        set(SAMPLE) - set(beating)
    )


def test_forecasts_of_the_holdout_dates_reproduce_each_stores_recorded_metrics(
    trained: Trained,
) -> None:
    # The server's path: versions by alias, recent rows from the online store that train kept,
    # features rebuilt with training's code; only the dates and known-ahead covariates are sent.
    from tests.integration.serving.conftest import holdout_records

    import modelfleet
    from modelfleet.features.online.backends import open_online_store
    from modelfleet.registry.reads import ArtifactStores
    from modelfleet.scoring import Scorer
    from modelfleet.scoring.forecaster import forecast
    from modelfleet.store import open_store
    from modelfleet.training.metrics import compute_metrics

    known_ahead = trained.spec.features.covariates
    store = open_store(trained.settings.store_url)
    online = open_online_store(trained.settings.online_url)
    scorer = Scorer(store, ArtifactStores(trained.settings.artifacts_url))
    try:
        with modelfleet.connect(home=str(trained.settings.home), environ={}) as client:
            assert trained.summary.versions
            for tenant, number in trained.summary.versions.items():
                model = f"{trained.spec.name}/{tenant}"
                client.set_alias(model, "dev", str(number), reason="forecast parity")
                version = client.resolve(f"{model}@dev")
                holdout = holdout_records(client, version)
                dated = [
                    {"date": r["date"], **{c: r[c] for c in known_ahead}} for r in holdout.records
                ]

                answer = forecast(scorer, online, trained.spec, tenant, "dev", records=dated)

                again = compute_metrics("regression", holdout.actuals, answer.values)
                assert again == pytest.approx(dict(version.metrics), rel=1e-9), tenant
    finally:
        online.close()
        store.close()
