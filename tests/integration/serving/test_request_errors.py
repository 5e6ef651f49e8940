"""Refused and failed requests are recorded per tenant, so usage can state an error rate."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.serving.conftest import Served

from modelfleet.registry.records import ModelVersion


def _counts(served: Served, tenant: str) -> tuple[int, int]:
    since, until = datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1)
    for row in served.client_store.request_error_counts(served.fleet, "dev", since, until):
        if row.tenant == tenant:
            return row.client_errors, row.server_errors
    return 0, 0


def _wait_for(served: Served, tenant: str, at_least: int) -> tuple[int, int]:
    deadline = time.monotonic() + 10  # the log's writer flushes every 0.2 s
    while sum(_counts(served, tenant)) < at_least and time.monotonic() < deadline:
        time.sleep(0.05)
    return _counts(served, tenant)


def test_a_refused_request_is_recorded_with_its_status_class(
    served: Served, first: tuple[str, ModelVersion], path_of: Any
) -> None:
    tenant = first[0]
    before = _counts(served, tenant)

    answer = served.http.post(path_of(served.fleet, tenant), json={"records": [{"nope": 1}]})

    assert answer.status_code == 422
    client_errors, server_errors = _wait_for(served, tenant, sum(before) + 1)
    assert (client_errors, server_errors) == (before[0] + 1, before[1])


def test_usage_sets_refused_requests_against_the_answered_ones(
    served: Served, first: tuple[str, ModelVersion], path_of: Any, holdout_of: Any
) -> None:
    tenant, version = first
    record = holdout_of(served.client, version).records[0]
    assert served.http.post(path_of(served.fleet, tenant), json={"records": [record]}).is_success
    before = sum(_counts(served, tenant))
    served.http.post(path_of(served.fleet, tenant), json={"records": [{"nope": 1}]})
    _wait_for(served, tenant, before + 1)
    time.sleep(0.5)  # the answered request's log rows too

    report = served.client.usage(served.fleet, environment="dev")

    row = next(e for e in report.errors if e.tenant == tenant)
    assert row.answered >= 1 and row.client_errors >= 1
    total = row.answered + row.client_errors + row.server_errors
    assert row.error_rate == (row.client_errors + row.server_errors) / total
