"""The prediction log on real stores (a SQLite file, PostgreSQL): every answered row is written
in bulk, or counted as dropped."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest

from modelfleet.scoring.log import PredictionLog
from modelfleet.scoring.service import Prediction
from modelfleet.store import MetadataStore, open_store


@pytest.fixture
def store(durable_store_url: str) -> Iterator[MetadataStore]:
    opened = open_store(durable_store_url)
    yield opened
    opened.close()


def _prediction(request_id: str, rows: int = 3) -> Prediction:
    stamps = np.datetime64("2024-03-01", "ns") + np.arange(rows) * np.timedelta64(1, "D")
    return Prediction(
        request_id=request_id,
        model="f/t",
        version="1.0.0",
        environment="prod",
        arm="champion",
        timestamps=stamps,
        values=np.arange(rows, dtype=np.float64) + 0.5,
        seconds=0.002,
    )


def _records(rows: int = 3) -> list[dict[str, object]]:
    return [{"date": f"2024-03-0{i + 1}", "promo": i} for i in range(rows)]


def test_every_submitted_request_is_written_once_closed(store: MetadataStore) -> None:
    log = PredictionLog(store, flush_seconds=0.01)
    for number in range(50):
        log.submit("f", "t", _prediction(f"r{number}"), _records())

    log.close()

    assert store.count_predictions("f") == 150
    assert log.stats().written == 150


def test_a_logged_row_holds_the_request_its_place_the_value_and_the_inputs(
    store: MetadataStore,
) -> None:
    log = PredictionLog(store)
    log.submit("f", "t", _prediction("req-1"), _records())
    log.close()

    rows = sorted(store.list_predictions("f", "t"), key=lambda r: r.position)

    assert [(r.request_id, r.position, r.value) for r in rows] == [
        ("req-1", 0, 0.5),
        ("req-1", 1, 1.5),
        ("req-1", 2, 2.5),
    ]
    assert [r.ts.date().isoformat() for r in rows] == ["2024-03-01", "2024-03-02", "2024-03-03"]
    assert json.loads(rows[1].inputs) == {"date": "2024-03-02", "promo": 1}
    assert (rows[0].version, rows[0].arm, rows[0].environment) == ("1.0.0", "champion", "prod")


def test_when_the_queue_is_full_rows_are_dropped_and_counted_never_lost_silently(
    store: MetadataStore,
) -> None:
    log = PredictionLog(store, max_queue=2, batch_rows=1, flush_seconds=0.0)
    for number in range(300):
        log.submit("f", "t", _prediction(f"r{number}", rows=1), _records(1))
    log.close()

    stats = log.stats()
    assert stats.dropped > 0
    assert stats.written + stats.dropped == 300
    assert store.count_predictions("f") == stats.written


def test_a_request_submitted_after_close_is_counted_as_dropped(store: MetadataStore) -> None:
    log = PredictionLog(store)
    log.close()

    accepted = log.submit("f", "t", _prediction("late"), _records())

    assert not accepted
    assert log.stats().dropped == 3
    assert store.count_predictions() == 0


def test_closing_twice_is_harmless(store: MetadataStore) -> None:
    log = PredictionLog(store)
    log.submit("f", "t", _prediction("once"), _records())

    log.close()
    log.close()

    assert store.count_predictions() == 3
