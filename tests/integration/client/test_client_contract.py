"""One contract for every plane: the same calls give the same records and the same errors.

Each test runs twice, over the local plane and over a live control-plane server (see
conftest.py); the seeded home has s1..s3 at 1.0.0 in dev, s2 worse than its baseline, and a
rejected run of s4.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from tests.unit.api.seed import FLEET, SIGNATURE, Seeded, build_run, run_id_for

from modelfleet import RunQuery, VersionQuery
from modelfleet.client import Client
from modelfleet.config.spec import load_spec
from modelfleet.errors import ConflictError, NotFoundError, PromotionError, UsageError
from modelfleet.monitoring.feedback import Actual
from modelfleet.tracking.tracker import Tracker

S1, S2 = f"{FLEET}/s1", f"{FLEET}/s2"


def test_runs_by_query_object_and_by_keywords_agree(client: Client) -> None:
    by_query = client.runs(RunQuery(fleet=FLEET, status="succeeded"))

    assert by_query == client.runs(fleet=FLEET, status="succeeded")
    assert {r.tenant for r in by_query} == {"s1", "s2", "s3"}


def test_a_run_is_found_by_a_unique_prefix(client: Client, observer: Client) -> None:
    assert client.run(run_id_for("s2")[:8]) == observer.run(run_id_for("s2"))


def test_fleet_runs_carry_their_actor_and_trigger(client: Client) -> None:
    fleet_run = client.fleet_runs(FLEET)[0]

    assert client.fleet_run(fleet_run.id) == fleet_run
    assert (fleet_run.actor, fleet_run.trigger) == ("unknown", "manual")


def test_every_reference_form_resolves_to_the_same_version(client: Client) -> None:
    versions = {str(client.resolve(ref).version) for ref in (f"{S1}@dev", f"{S1}:1.0.0", S1)}

    assert versions == {"1.0.0"}


def test_search_by_query_object_filters_by_tags_and_metrics(client: Client) -> None:
    query = VersionQuery(fleet=FLEET, tags={"tier": "gold"}, metrics=["wmape<0.3"])

    found = client.search(query)

    assert sorted(v.tenant for v in found) == ["s1", "s3"]
    assert found == client.search(fleet=FLEET, tags={"tier": "gold"}, metrics=["wmape<0.3"])


def test_an_unknown_model_is_not_found_naming_what_exists(client: Client) -> None:
    with pytest.raises(NotFoundError, match="s1"):
        client.versions(f"{FLEET}/nope")


def test_a_malformed_reference_is_a_usage_error(client: Client) -> None:
    with pytest.raises(UsageError):
        client.resolve("no-slash")


def test_the_card_names_the_model_and_its_version(client: Client, home: Seeded) -> None:
    card = client.card(f"{S1}@dev", spec=home.spec_path)

    assert S1 in card and "1.0.0" in card


def test_promotion_is_recorded_as_the_planes_caller(
    client: Client, observer: Client, home: Seeded, writer: str
) -> None:
    outcome = client.promote(S1, "staging", spec=home.spec_path, reason="release")

    assert outcome.moved and str(outcome.to_version) == "1.0.0"
    latest = observer.history(S1, limit=1)[0]
    assert (latest.kind, latest.alias, latest.actor) == ("alias_set", "staging", writer)


def test_a_refused_promotion_is_an_outcome_not_an_error(client: Client, home: Seeded) -> None:
    outcome = client.promote(S2, "staging", spec=home.spec_path)

    assert not outcome.moved and "baseline" in outcome.reason


def test_fleet_promotion_and_its_batch_rollback(
    client: Client, observer: Client, home: Seeded
) -> None:
    batch = client.promote_fleet(FLEET, "staging", spec=home.spec_path)
    undone = client.rollback_batch(batch.batch_id, reason="undo")

    assert {o.model for o in batch.moved} == {S1, f"{FLEET}/s3"}
    assert len(undone) == 2
    assert observer.search(environment="staging") == []


def test_prod_needs_an_approval_by_the_same_caller_path(client: Client, home: Seeded) -> None:
    client.promote(S1, "staging", spec=home.spec_path)
    waiting = client.promote(S1, "prod", spec=home.spec_path)
    approval = client.approve(S1, "1.0.0", "prod", reason="signed off")
    moved = client.promote(S1, "prod", spec=home.spec_path)

    assert waiting.pending_approval and not waiting.moved
    assert approval.kind == "approved" and moved.moved


def test_rollback_with_nothing_to_undo_is_a_conflict(client: Client) -> None:
    with pytest.raises((ConflictError, PromotionError)):
        client.rollback(S1, "prod")


def test_set_and_remove_an_alias(client: Client, observer: Client) -> None:
    client.set_alias(S1, "champion", "1.0.0", reason="a b test")
    removed = client.remove_alias(S1, "champion", reason="done")

    assert removed.kind == "alias_removed"
    assert "champion" not in observer.resolve(S1).aliases


def test_an_aliased_version_cannot_be_archived(client: Client) -> None:
    with pytest.raises(ConflictError, match="dev"):
        client.archive(S1, "1.0.0")


def test_metadata_changes_make_a_patch_version(client: Client, writer: str) -> None:
    patched = client.update_metadata(f"{S1}:1.0.0", tags={"tier": "platinum"}, reason="upsell")

    assert str(patched.version) == "1.0.1"
    assert (patched.tags["tier"], patched.created_by) == ("platinum", writer)


def test_a_version_without_aliases_can_be_deleted(client: Client, observer: Client) -> None:
    patched = client.update_metadata(f"{S1}:1.0.0", description="to delete")

    client.delete_version(S1, str(patched.version), reason="cleanup")

    assert [str(v.version) for v in observer.versions(S1)] == ["1.0.0"]


def test_registering_a_run_with_its_signature_makes_the_next_minor(
    client: Client, home: Seeded, writer: str
) -> None:
    with Tracker.open(home.settings.store_url) as tracker:
        fleet_run = tracker.start_fleet_run(FLEET, "dev", "cfg-1")
        run = build_run("s1", 0.15, 0.3, n=7, fleet_run_id=fleet_run, signature=SIGNATURE)
        tracker.record_runs([run])

    version = client.register(run.run_id, tags={"customer": "acme"})

    assert (str(version.version), version.created_by) == ("1.1.0", writer)
    assert client.register(run.run_id).version == version.version  # again: the same version


def test_a_rejected_run_cannot_be_registered(client: Client) -> None:
    with pytest.raises(ConflictError, match="rejected"):
        client.register(run_id_for("s4"))


def test_traffic_is_set_read_and_cleared_as_the_planes_caller(
    client: Client, observer: Client, writer: str
) -> None:
    client.set_traffic(S1, "prod", mode="canary", share=0.1, reason="try")

    setting = client.traffic(S1, "prod")
    assert setting is not None
    assert (setting.routing.mode, setting.routing.challenger_share, setting.actor) == (
        "canary",
        0.1,
        writer,
    )
    client.clear_traffic(S1, "prod", reason="done")

    assert client.traffic(S1, "prod") is None
    latest = observer.history(S1, limit=2)
    assert [(e.kind, e.actor) for e in latest] == [
        ("traffic_cleared", writer),
        ("traffic_set", writer),
    ]


def test_a_bad_traffic_setting_is_a_usage_error_on_every_plane(client: Client) -> None:
    with pytest.raises(UsageError):
        client.set_traffic(S1, "prod", mode="blue-green")


def _actuals(*tenants: str) -> list[Actual]:
    day = datetime.now(UTC).date() - timedelta(days=2)
    return [Actual(t, day, 10.0 + i, f"req-{i}") for i, t in enumerate(tenants)]


def test_feedback_records_are_stored_and_counted_alike_on_every_plane(
    client: Client, home: Seeded, observer: Client
) -> None:
    spec = load_spec(home.spec_path)

    report = client.plane.feedback(FLEET, _actuals("s1", "s2", "s1"), spec)

    assert (report.rows, report.new, report.repeated, report.late) == (3, 2, 1, 0)
    assert not report.unknown_tenants and not report.invalid
    again = observer.plane.feedback(FLEET, _actuals("s1", "s2"), spec)
    assert (again.new, again.revised, again.unchanged) == (0, 1, 1)  # s1's last value was 12.0


def test_feedback_of_an_unknown_tenant_is_refused_whole_on_every_plane(
    client: Client, home: Seeded, observer: Client
) -> None:
    spec = load_spec(home.spec_path)

    with pytest.raises(UsageError, match=r"records.1.tenant.*'s4'"):
        client.plane.feedback(FLEET, _actuals("s1", "s4"), spec)

    assert observer.plane.feedback(FLEET, _actuals("s1"), spec).new == 1  # nothing was stored


def test_feedback_of_a_value_that_is_not_finite_is_refused_on_every_plane(
    client: Client, home: Seeded
) -> None:
    day = datetime.now(UTC).date()

    with pytest.raises(UsageError, match=r"records.0.value"):
        client.plane.feedback(FLEET, [Actual("s1", day, math.nan)], load_spec(home.spec_path))


def test_feedback_reads_an_aware_time_as_its_utc_instant_on_every_plane(
    client: Client, home: Seeded
) -> None:
    spec = load_spec(home.spec_path)
    client.plane.feedback(FLEET, [Actual("s1", date(2026, 1, 5), 3.0)], spec)
    odd = timezone(timedelta(minutes=9, seconds=21))  # an offset RFC 3339 cannot write

    again = client.plane.feedback(
        FLEET, [Actual("s1", datetime(2026, 1, 5, 0, 9, 21, tzinfo=odd), 3.0)], spec
    )

    assert again.unchanged == 1


def test_feedback_of_no_records_is_refused_on_every_plane(client: Client, home: Seeded) -> None:
    with pytest.raises(UsageError, match="records"):
        client.plane.feedback(FLEET, [], load_spec(home.spec_path))
