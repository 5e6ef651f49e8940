"""The store's reads for monitoring, on every backend: a span of the prediction log as columns,
and one artifact of many runs in one query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from modelfleet.store import ActualRow, ArtifactRow, MetadataStore, RunBundle
from modelfleet.store.predictions import PredictionRow

from .conftest import T0


def _row(
    tenant: str, minutes: int, environment: str = "prod", value: float | None = 1.0
) -> PredictionRow:
    return PredictionRow(
        request_id=f"r-{tenant}-{minutes}",
        position=0,
        fleet="demand",
        tenant=tenant,
        environment=environment,
        version="1.0.0",
        arm="champion",
        ts=T0,
        value=value,
        inputs='{"price":2.5}',
        latency_ms=1.0,
        logged_at=T0 + timedelta(minutes=minutes),
    )


def test_a_span_holds_the_rows_logged_from_its_start_up_to_its_end_in_log_order(
    store: MetadataStore,
) -> None:
    rows = [_row("a", 0), _row("a", 5), _row("b", 7, value=None), _row("a", 10), _row("a", 15)]
    store.add_predictions(rows)  # in the order the logger writes them

    got = store.prediction_columns(
        "demand", "prod", T0 + timedelta(minutes=5), T0 + timedelta(minutes=15)
    )

    assert got.tenant == ["a", "b", "a"]
    assert got.value == [1.0, None, 1.0]
    assert got.inputs == ['{"price":2.5}'] * 3
    assert len(got) == 3


def test_a_span_keeps_to_its_fleet_and_environment(store: MetadataStore) -> None:
    store.add_predictions(
        [_row("a", 1), _row("a", 2, environment="dev"), replace(_row("c", 3), fleet="other")]
    )

    got = store.prediction_columns("demand", "prod", T0, T0 + timedelta(hours=1))

    assert got.tenant == ["a"]
    assert len(store.prediction_columns("demand", "staging", T0, T0 + timedelta(hours=1))) == 0


def test_artifact_digests_name_each_runs_artifact_and_leave_out_runs_without_it(
    store: MetadataStore, make_bundle: Callable[..., RunBundle]
) -> None:
    with_profile = [
        replace(b, artifacts=(ArtifactRow("profile", "json", f"{i:064x}", f"file:///p{i}", 10),))
        for i, b in enumerate(make_bundle() for _ in range(3))
    ]
    without = make_bundle()
    store.add_runs([*with_profile, without])

    found = store.artifact_digests([b.run.id for b in [*with_profile, without]] * 2, "profile")

    assert found == {b.run.id: f"{i:064x}" for i, b in enumerate(with_profile)}
    assert store.artifact_digests([], "profile") == {}


def _actual(tenant: str, minutes: int, value: float) -> ActualRow:
    return ActualRow("demand", tenant, T0 + timedelta(minutes=minutes), value, None, T0, "test")


def test_predictions_join_the_actuals_of_their_tenant_and_timestamp(store: MetadataStore) -> None:
    store.add_predictions(
        [replace(_row("a", m), ts=T0 + timedelta(minutes=m), value=float(m)) for m in (0, 1, 2)]
        + [replace(_row("b", 9), ts=T0 + timedelta(minutes=1))]
    )
    store.write_actuals([_actual("a", 0, 10.0), _actual("a", 2, 12.0), _actual("c", 1, 5.0)], [])

    joined = store.predictions_with_actuals("demand", "prod", T0, T0 + timedelta(hours=1))

    assert list(zip(joined.tenant, joined.prediction, joined.actual, strict=True)) == [
        ("a", 0.0, 10.0),
        ("a", 2.0, 12.0),
    ]


def test_a_revised_actual_replaces_the_stored_value(store: MetadataStore) -> None:
    store.write_actuals([_actual("a", 0, 10.0)], [])

    store.write_actuals([], [_actual("a", 0, 11.0)])

    assert store.stored_actuals("demand", ["a"], T0, T0) == [("a", T0, 11.0)]


def test_request_errors_are_counted_per_tenant_by_status_class_within_the_span(
    store: MetadataStore,
) -> None:
    from modelfleet.store.request_errors import ErrorCount, RequestErrorRow

    def refused(tenant: str, status: int, minutes: int, env: str = "prod") -> RequestErrorRow:
        at = T0 + timedelta(minutes=minutes)
        return RequestErrorRow(f"r{minutes}", "demand", tenant, env, status, "InputError", at)

    store.add_request_errors(
        [
            refused("a", 422, 1),
            refused("a", 503, 2),
            refused("a", 404, 3),
            refused("b", 422, 4),
            refused("b", 422, 90),  # after the span
            refused("c", 500, 5, env="dev"),  # another environment
        ]
    )

    counts = store.request_error_counts("demand", "prod", T0, T0 + timedelta(hours=1))

    assert counts == [ErrorCount("a", 2, 1), ErrorCount("b", 1, 0)]


def _requested(tenant: str, request_id: str, minutes: int = 0, **fields: Any) -> PredictionRow:
    """A prediction of ``tenant`` for ``T0 + minutes`` answered in request ``request_id``."""
    row = replace(_row(tenant, 0), request_id=request_id, ts=T0 + timedelta(minutes=minutes))
    return replace(row, **fields)


def _answering(tenant: str, minutes: int, value: float, request_id: str | None) -> ActualRow:
    return replace(_actual(tenant, minutes, value), request_id=request_id)


SPAN = (T0, T0 + timedelta(hours=1))


def test_an_actual_naming_a_request_joins_that_requests_prediction_only(
    store: MetadataStore,
) -> None:
    store.add_predictions([_requested("a", "r1", value=1.0), _requested("a", "r2", value=2.0)])
    store.write_actuals([_answering("a", 0, 10.0, "r2")], [])

    joined = store.predictions_with_actuals("demand", "prod", *SPAN)

    assert list(zip(joined.prediction, joined.actual, strict=True)) == [(2.0, 10.0)]
    assert joined.unmatched == {}


def test_an_actual_without_a_request_id_joins_every_prediction_of_its_date(
    store: MetadataStore,
) -> None:
    store.add_predictions([_requested("a", "r1", value=1.0), _requested("a", "r2", value=2.0)])
    store.write_actuals([_answering("a", 0, 10.0, None)], [])

    joined = store.predictions_with_actuals("demand", "prod", *SPAN)

    assert joined.prediction == [1.0, 2.0]


def test_a_named_request_joins_each_arm_it_logged(store: MetadataStore) -> None:
    store.add_predictions(
        [_requested("a", "r1", value=1.0), _requested("a", "r1", value=3.0, arm="shadow")]
    )
    store.write_actuals([_answering("a", 0, 10.0, "r1")], [])

    joined = store.predictions_with_actuals("demand", "prod", *SPAN)

    assert list(zip(joined.arm, joined.prediction, strict=True)) == [
        ("champion", 1.0),
        ("shadow", 3.0),
    ]


def test_an_actual_naming_a_request_that_logged_nothing_is_counted_unmatched(
    store: MetadataStore,
) -> None:
    store.add_predictions([_requested("a", "r1", value=1.0)])
    store.write_actuals([_answering("a", 0, 10.0, "r-typo"), _answering("b", 0, 4.0, "r9")], [])

    joined = store.predictions_with_actuals("demand", "prod", *SPAN)

    assert len(joined) == 0
    assert joined.unmatched == {"a": 1, "b": 1}


def test_a_request_that_predicted_another_date_leaves_the_actual_unmatched(
    store: MetadataStore,
) -> None:
    store.add_predictions([_requested("a", "r1", minutes=5)])
    store.write_actuals([_answering("a", 0, 10.0, "r1")], [])

    joined = store.predictions_with_actuals("demand", "prod", *SPAN)

    assert len(joined) == 0 and joined.unmatched == {"a": 1}


def test_a_request_logged_in_another_environment_is_matched_there_not_unmatched(
    store: MetadataStore,
) -> None:
    store.add_predictions([_requested("a", "r1", environment="staging")])
    store.write_actuals([_answering("a", 0, 10.0, "r1")], [])

    prod = store.predictions_with_actuals("demand", "prod", *SPAN)
    staging = store.predictions_with_actuals("demand", "staging", *SPAN)

    assert (len(prod), prod.unmatched) == (0, {})
    assert len(staging) == 1


def test_unmatched_actuals_outside_the_span_are_not_counted(store: MetadataStore) -> None:
    store.write_actuals([_answering("a", 90, 10.0, "r-late")], [])

    joined = store.predictions_with_actuals("demand", "prod", *SPAN)

    assert joined.unmatched == {}
