"""Client: the same records as the local Client, and the same errors, over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.unit.api.seed import FLEET, run_id_for

from modelfleet.client import Client
from modelfleet.errors import (
    ConflictError,
    ModelfleetError,
    NotFoundError,
    PromotionError,
    StoreError,
    UsageError,
)

S1 = f"{FLEET}/s1"


def test_runs_equal_the_local_clients(remote: Client, local: Client) -> None:
    assert remote.runs() == local.runs()


def test_run_filters_map_to_the_api(remote: Client, local: Client) -> None:
    assert remote.runs(status="rejected", environment="dev", limit=5) == local.runs(
        status="rejected", environment="dev", limit=5
    )


def test_run_by_prefix_equals_the_local_record(remote: Client, local: Client) -> None:
    assert remote.run(run_id_for("s2")[:8]) == local.run(run_id_for("s2"))


def test_fleet_runs_equal_the_local_clients(remote: Client, local: Client) -> None:
    listed = remote.fleet_runs(FLEET)

    assert listed == local.fleet_runs(FLEET)
    assert remote.fleet_run(listed[0].id) == listed[0]


def test_search_equals_the_local_clients(remote: Client, local: Client) -> None:
    filters: dict[str, Any] = {"tags": {"tier": "gold"}, "metrics": ["wmape<0.3"]}

    assert remote.search(**filters) == local.search(**filters)
    assert len(remote.search(**filters)) == 2


def test_resolve_every_reference_form(remote: Client, local: Client) -> None:
    for ref in (f"{S1}@dev", f"{S1}:1.0.0", S1):
        assert remote.resolve(ref) == local.resolve(ref)


def test_versions_and_history_equal_the_local_clients(remote: Client, local: Client) -> None:
    assert remote.versions(S1) == local.versions(S1)
    assert remote.history(S1) == local.history(S1)
    assert remote.history(S1, limit=1) == local.history(S1, limit=1)


def test_card_equals_the_local_card_with_the_spec(
    remote: Client, local: Client, seeded: Any
) -> None:
    assert remote.card(f"{S1}@dev", fmt="html") == local.card(
        f"{S1}@dev", fmt="html", spec=seeded.spec_path
    )


def test_promote_and_rollback_round_trip(remote: Client, local: Client) -> None:
    outcome = remote.promote(S1, "staging", reason="release")
    event = remote.rollback(S1, "staging", reason="oops")

    assert outcome.moved and str(outcome.to_version) == "1.0.0"
    assert event.kind in ("rolled_back", "alias_removed")
    assert local.history(S1, limit=1)[0] == remote.history(S1, limit=1)[0]


def test_writes_over_http_record_the_servers_caller_not_the_clients(
    remote: Client, local: Client
) -> None:
    remote.promote(S1, "staging")
    local.set_alias(S1, "champion", "1.0.0")

    assert [e.actor for e in local.history(S1, limit=2)] == ["alice", "server-user"]


def test_fleet_promotion_and_batch_rollback(remote: Client, local: Client) -> None:
    batch = remote.promote_fleet(FLEET, "staging")
    undone = remote.rollback_batch(batch.batch_id)

    assert {o.model for o in batch.moved} == {f"{FLEET}/s1", f"{FLEET}/s3"}
    assert len(undone) == 2
    assert local.search(environment="staging") == []


def test_approve_records_an_approval(remote: Client) -> None:
    event = remote.approve(S1, "1.0.0", "prod", reason="signed off")

    assert (event.kind, event.actor, str(event.to_version)) == ("approved", "server-user", "1.0.0")


def test_set_alias_points_it_at_the_version(remote: Client, local: Client) -> None:
    remote.set_alias(S1, "champion", "1.0.0")

    assert str(local.resolve(f"{S1}@champion").version) == "1.0.0"


def test_update_metadata_returns_the_patch_version(remote: Client) -> None:
    patched = remote.update_metadata(f"{S1}@dev", tags={"owner": "team-a"})

    assert (str(patched.version), patched.tags["owner"]) == ("1.0.1", "team-a")


def test_archive_an_unaliased_version(remote: Client) -> None:
    patched = remote.update_metadata(f"{S1}:1.0.0", description="superseded")

    event = remote.archive(S1, str(patched.version))

    assert (event.kind, event.to_status) == ("status_changed", "archived")


def test_promotion_with_the_wrong_spec_is_refused_before_any_request(
    remote: Client, tmp_path: Any
) -> None:
    from tests.unit.api.seed import SPEC, write_spec

    other = write_spec(tmp_path / "other", {**SPEC, "name": "other"})

    with pytest.raises(UsageError, match="declares fleet 'other'"):
        remote.promote(S1, "staging", spec=other)


def test_not_found_comes_back_as_not_found_error(remote: Client) -> None:
    with pytest.raises(NotFoundError, match="nobody"):
        remote.resolve(f"{FLEET}/nobody@prod")


def test_conflict_comes_back_as_conflict_error(remote: Client) -> None:
    with pytest.raises(ConflictError):
        remote.archive(S1, "1.0.0")


def test_promotion_error_keeps_its_subclass(remote: Client) -> None:
    with pytest.raises(PromotionError, match="rejected"):
        remote.register(run_id_for("s4"))


def test_invalid_request_comes_back_as_usage_error(remote: Client) -> None:
    with pytest.raises(UsageError) as info:
        remote.promote(S1, "not an env")

    assert "body.environment" in str(info.value)


def test_bad_reference_fails_before_any_request(remote: Client) -> None:
    with pytest.raises(UsageError):
        remote.resolve("no-slash")


def test_unreachable_server_is_a_store_error() -> None:
    client = Client.over_http("http://127.0.0.1:9", timeout=2)

    with pytest.raises(StoreError, match="cannot reach modelfleet server"):
        client.runs()


def test_a_non_json_error_keeps_the_status() -> None:
    transport = httpx.MockTransport(lambda _: httpx.Response(502, text="<html>bad gateway</html>"))
    client = Client.over_http(http=httpx.Client(transport=transport, base_url="http://proxy"))

    with pytest.raises(ModelfleetError) as info:
        client.runs()

    assert info.value.http_status == 502
    assert "502" in str(info.value)


def test_an_unreadable_answer_says_so() -> None:
    transport = httpx.MockTransport(lambda _: httpx.Response(200, json=[{"run_id": 1}]))
    client = Client.over_http(http=httpx.Client(transport=transport, base_url="http://x"))

    with pytest.raises(ModelfleetError, match="cannot read"):
        client.runs()


def test_a_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(UsageError, match="server URL"):
        Client.over_http("ftp://example.com")


def test_connect_with_a_url_returns_a_client_over_the_http_plane() -> None:
    import modelfleet
    from modelfleet.client import HttpPlane

    client = modelfleet.connect("http://127.0.0.1:9")

    assert isinstance(client, Client) and isinstance(client.plane, HttpPlane)
    assert client.plane.url == "http://127.0.0.1:9"


def test_connect_with_a_home_returns_the_same_client_class_over_the_local_plane(
    tmp_path: Any,
) -> None:
    import modelfleet
    from modelfleet.client import LocalPlane

    with modelfleet.connect(str(tmp_path / "home"), environ={}) as client:
        assert isinstance(client, Client) and isinstance(client.plane, LocalPlane)


def test_limits_match_the_local_defaults_and_none_asks_for_the_most() -> None:
    seen: list[httpx.QueryParams] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params)
        return httpx.Response(200, json=[])

    client = Client.over_http(
        http=httpx.Client(transport=httpx.MockTransport(answer), base_url="http://x")
    )
    client.runs()
    client.runs(limit=None)
    client.search(limit=None, latest_only=True, tags={"a": "b:c"})

    assert [p.get("limit") for p in seen] == ["100", "10000", "10000"]
    assert (seen[2].get("latest_only"), seen[2].get("tag")) == ("true", "a:b:c")
