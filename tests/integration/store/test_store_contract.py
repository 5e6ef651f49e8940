"""Contract suite: every store backend (SQLite file, memory, PostgreSQL) behaves the same."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from modelfleet.errors import NotFoundError, StoreError
from modelfleet.store import (
    FleetRunRow,
    MetadataStore,
    MetricRow,
    RunBundle,
    RunQuery,
    migrate,
    open_store,
)
from modelfleet.store.schema import metadata

MakeBundle = Callable[..., RunBundle]
T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


# -- schema and migrations ------------------------------------------------------------------


def test_opening_a_new_store_migrates_it_to_the_head_revision(store: MetadataStore) -> None:
    assert store.schema_revision() == migrate.HEAD_REVISION


def test_migrated_schema_matches_the_table_definitions(store: MetadataStore) -> None:
    # Internal engine on purpose: this checks the migration files against schema.py.
    with store._read_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_reopening_a_current_store_runs_no_migration(
    durable_store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_store(durable_store_url).close()

    def fail(*_args: object) -> None:
        raise AssertionError("migration ran again")

    monkeypatch.setattr(migrate, "_run_alembic_upgrade", fail)
    with open_store(durable_store_url) as reopened:
        assert reopened.schema_revision() == migrate.HEAD_REVISION


# -- recording and reading runs -------------------------------------------------------------


def test_a_recorded_run_reads_back_with_every_row(
    store: MetadataStore, full_bundle: Callable[[], RunBundle]
) -> None:
    bundle = full_bundle()
    store.add_runs([bundle])

    assert store.get_run(bundle.run.id) == bundle


def test_a_nan_metric_reads_back_as_nan(store: MetadataStore, make_bundle: MakeBundle) -> None:
    bundle = replace(make_bundle(), metrics=(MetricRow("mape", math.nan),))
    store.add_runs([bundle])

    (metric,) = store.get_run(bundle.run.id).metrics
    assert math.isnan(metric.value)


def test_timestamps_read_back_as_the_same_instant_in_utc(
    store: MetadataStore, make_bundle: MakeBundle
) -> None:
    paris = timezone(timedelta(hours=2))
    started = datetime(2024, 6, 1, 14, 0, 0, 123456, tzinfo=paris)
    bundle = make_bundle(started_at=started, finished_at=started + timedelta(seconds=5))
    store.add_runs([bundle])

    run = store.get_run(bundle.run.id).run
    assert run.started_at == started
    assert run.started_at.tzinfo == UTC


def test_a_naive_timestamp_is_refused_with_a_store_error(
    store: MetadataStore, make_bundle: MakeBundle
) -> None:
    with pytest.raises(StoreError, match="naive datetime"):
        store.add_runs([make_bundle(started_at=datetime(2024, 6, 1, 12, 0))])


def test_recording_runs_upserts_their_tenants_with_first_and_last_times(
    store: MetadataStore, make_bundle: MakeBundle
) -> None:
    early = make_bundle(tenant="north", started_at=T0, finished_at=T0 + timedelta(minutes=1))
    late = make_bundle(
        tenant="north",
        started_at=T0 + timedelta(hours=1),
        finished_at=T0 + timedelta(hours=2),
    )
    store.add_runs([late])
    store.add_runs([early])

    (tenant,) = store.list_tenants("demand")
    assert (tenant.first_seen_at, tenant.last_run_at) == (T0, T0 + timedelta(hours=2))


# -- atomicity and integrity ----------------------------------------------------------------


def test_a_failed_batch_writes_nothing(
    store: MetadataStore, full_bundle: Callable[[], RunBundle]
) -> None:
    existing = full_bundle()
    store.add_runs([existing])
    fresh = full_bundle()

    with pytest.raises(StoreError, match="nothing from this call was written"):
        store.add_runs([fresh, existing])  # the duplicate id fails after fresh's rows went in

    assert [b.run.id for b in store.list_runs()] == [existing.run.id]
    assert [t.tenant for t in store.list_tenants()] == [existing.run.tenant]


def test_a_run_of_an_unknown_fleet_run_is_refused(
    store: MetadataStore, make_bundle: MakeBundle
) -> None:
    with pytest.raises(StoreError, match="conflicts"):
        store.add_runs([make_bundle(fleet_run_id="no-such-fleet-run")])


# -- completed task keys --------------------------------------------------------------------


def test_completed_task_keys_are_those_with_a_succeeded_or_rejected_run(
    store: MetadataStore, make_bundle: MakeBundle
) -> None:
    store.add_runs(
        [
            make_bundle(task_key="ok", status="succeeded"),
            make_bundle(task_key="gated", status="rejected"),
            make_bundle(task_key="broke", status="failed"),
        ]
    )

    found = store.completed_task_keys("demand", "dev", ["ok", "gated", "broke", "new"])
    assert found == {"ok", "gated"}


def test_task_keys_with_a_failed_run_are_found_when_asked_for_failures(
    store: MetadataStore, make_bundle: MakeBundle
) -> None:
    store.add_runs(
        [
            make_bundle(task_key="ok", status="succeeded"),
            make_bundle(task_key="broke", status="failed"),
        ]
    )

    found = store.completed_task_keys("demand", "dev", ["ok", "broke", "new"], {"failed"})
    assert found == {"broke"}


def test_completed_task_keys_ignore_other_fleets_and_environments(
    store: MetadataStore, make_bundle: MakeBundle
) -> None:
    store.add_runs(
        [make_bundle(task_key="a", fleet="churn"), make_bundle(task_key="b", environment="prod")]
    )

    assert store.completed_task_keys("demand", "dev", ["a", "b"]) == set()


def test_completed_task_keys_handle_more_keys_than_one_query_takes(
    store: MetadataStore, make_bundle: MakeBundle
) -> None:
    store.add_runs([make_bundle(task_key="k-1199")])
    keys = [f"k-{i}" for i in range(1200)]

    assert store.completed_task_keys("demand", "dev", keys) == {"k-1199"}


# -- listing --------------------------------------------------------------------------------


def test_list_runs_returns_newest_first(store: MetadataStore, make_bundle: MakeBundle) -> None:
    bundles = [make_bundle() for _ in range(3)]  # each starts a minute after the last
    store.add_runs(bundles)

    listed = [b.run.id for b in store.list_runs()]
    assert listed == [b.run.id for b in reversed(bundles)]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("fleet", "churn"),
        ("tenant", "south"),
        ("status", "rejected"),
        ("environment", "prod"),
    ],
)
def test_list_runs_filters_by_each_field(
    store: MetadataStore, make_bundle: MakeBundle, field: str, value: str
) -> None:
    wanted = make_bundle(**{field: value})
    store.add_runs([make_bundle(), wanted, make_bundle()])

    filters: dict[str, Any] = {field: value}
    listed = store.list_runs(RunQuery(**filters))
    assert [b.run.id for b in listed] == [wanted.run.id]


def test_list_runs_filters_by_fleet_run(
    store: MetadataStore, make_bundle: MakeBundle, fleet_run: FleetRunRow
) -> None:
    other = replace(fleet_run, id="fr-2")
    store.add_fleet_run(other)
    wanted = make_bundle(fleet_run_id="fr-2")
    store.add_runs([make_bundle(), wanted])

    assert [b.run.id for b in store.list_runs(RunQuery(fleet_run_id="fr-2"))] == [wanted.run.id]


def test_list_runs_stops_at_the_limit(store: MetadataStore, make_bundle: MakeBundle) -> None:
    store.add_runs([make_bundle() for _ in range(5)])

    assert len(store.list_runs(RunQuery(limit=2))) == 2
    assert len(store.list_runs(RunQuery(limit=None))) == 5


# -- lookup by id ---------------------------------------------------------------------------


def test_get_run_accepts_a_unique_prefix(store: MetadataStore, make_bundle: MakeBundle) -> None:
    bundle = make_bundle(id="c0ffee" + "0" * 26)
    store.add_runs([bundle, make_bundle(id="c0ffe1" + "0" * 26)])

    assert store.get_run("c0ffee").run.id == bundle.run.id


def test_get_run_refuses_an_ambiguous_prefix_naming_the_matches(
    store: MetadataStore, make_bundle: MakeBundle
) -> None:
    first, second = "abcdef01" + "0" * 24, "abcdef02" + "0" * 24
    store.add_runs([make_bundle(id=first), make_bundle(id=second)])

    with pytest.raises(NotFoundError, match="ambiguous") as raised:
        store.get_run("abcdef")
    assert first in str(raised.value)
    assert second in str(raised.value)


def test_get_run_refuses_a_prefix_shorter_than_six_characters(
    store: MetadataStore, make_bundle: MakeBundle
) -> None:
    store.add_runs([make_bundle(id="abcdef" + "0" * 26)])

    with pytest.raises(NotFoundError, match="at least 6 characters"):
        store.get_run("abcde")


def test_get_run_of_a_missing_id_raises_not_found(store: MetadataStore) -> None:
    with pytest.raises(NotFoundError, match="no run with id 'feedbeef'"):
        store.get_run("feedbeef")


def test_get_run_treats_like_wildcards_literally(
    store: MetadataStore, make_bundle: MakeBundle
) -> None:
    store.add_runs([make_bundle(id="abcdef" + "0" * 26)])

    with pytest.raises(NotFoundError):
        store.get_run("abcde_")


# -- fleet runs -----------------------------------------------------------------------------


def test_finishing_a_fleet_run_records_status_time_and_counts(
    store: MetadataStore, fleet_run: FleetRunRow
) -> None:
    end = T0 + timedelta(hours=1)
    store.finish_fleet_run(
        fleet_run.id,
        status="partial",
        finished_at=end,
        succeeded=7,
        rejected=2,
        failed=1,
        skipped=3,
    )

    finished = store.get_fleet_run(fleet_run.id)
    assert finished == replace(
        fleet_run, status="partial", finished_at=end, succeeded=7, rejected=2, failed=1, skipped=3
    )


def test_finishing_an_unknown_fleet_run_raises_not_found(store: MetadataStore) -> None:
    with pytest.raises(NotFoundError, match="fleet run 'nope'"):
        store.finish_fleet_run(
            "nope", status="failed", finished_at=T0, succeeded=0, rejected=0, failed=0, skipped=0
        )


def test_interrupting_a_running_fleet_run_marks_it_interrupted(
    store: MetadataStore, fleet_run: FleetRunRow
) -> None:
    store.interrupt_fleet_run(fleet_run.id, T0 + timedelta(minutes=5))

    interrupted = store.get_fleet_run(fleet_run.id)
    assert (interrupted.status, interrupted.finished_at) == (
        "interrupted",
        T0 + timedelta(minutes=5),
    )


def test_interrupting_a_finished_fleet_run_keeps_its_outcome(
    store: MetadataStore, fleet_run: FleetRunRow
) -> None:
    store.finish_fleet_run(
        fleet_run.id,
        status="succeeded",
        finished_at=T0,
        succeeded=1,
        rejected=0,
        failed=0,
        skipped=0,
    )
    store.interrupt_fleet_run(fleet_run.id, T0 + timedelta(minutes=5))

    assert store.get_fleet_run(fleet_run.id).status == "succeeded"


def test_list_fleet_runs_returns_newest_first_and_filters_by_fleet(
    store: MetadataStore, fleet_run: FleetRunRow
) -> None:
    later = replace(fleet_run, id="fr-2", started_at=T0 + timedelta(days=1))
    other_fleet = replace(fleet_run, id="fr-3", fleet="churn")
    store.add_fleet_run(later)
    store.add_fleet_run(other_fleet)

    assert [f.id for f in store.list_fleet_runs("demand")] == ["fr-2", "fr-1"]
    assert [f.id for f in store.list_fleet_runs(limit=1)] == ["fr-2"]
