"""Tokens and grants on every store backend: who a token proves, when it stops, what grants
allow; the policy's verdicts, its one-second cache and its messages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from modelfleet.caller import Caller
from modelfleet.errors import AuthenticationError, NotFoundError, PermissionDeniedError, UsageError
from modelfleet.governance.service import Authority, RolePolicy
from modelfleet.store import MetadataStore, open_store

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(store_url: str) -> Iterator[MetadataStore]:
    opened = open_store(store_url)
    yield opened
    opened.close()


@pytest.fixture
def authority(store: MetadataStore) -> Authority:
    return Authority(store)


def test_a_token_proves_its_principal(authority: Authority) -> None:
    issued = authority.create_token("alice", by="admin", now=NOW)

    caller = authority.authenticate(issued.text, now=NOW)

    assert (caller.principal, caller.via) == ("alice", "http")


def test_only_the_hash_of_a_token_is_stored(authority: Authority, store: MetadataStore) -> None:
    issued = authority.create_token("alice", by="admin", now=NOW)

    stored = store.token(issued.record.id)

    assert stored is not None and issued.text.split("_")[-1] not in stored.secret_hash


def test_a_forged_secret_with_a_real_id_is_an_unknown_token(authority: Authority) -> None:
    issued = authority.create_token("alice", by="admin", now=NOW)
    forged = issued.text[:-4] + ("AAAA" if not issued.text.endswith("AAAA") else "BBBB")

    with pytest.raises(AuthenticationError, match="unknown token"):
        authority.authenticate(forged, now=NOW)


def test_an_expired_token_says_when_it_expired(authority: Authority) -> None:
    issued = authority.create_token("alice", expires_in=timedelta(days=1), by="a", now=NOW)

    with pytest.raises(AuthenticationError, match="expired at 2026-12-02"):
        authority.authenticate(issued.text, now=NOW + timedelta(days=2))


def test_a_revoked_token_stops_at_once(authority: Authority) -> None:
    issued = authority.create_token("alice", by="admin", now=NOW)

    authority.revoke_token(issued.record.id, now=NOW)

    with pytest.raises(AuthenticationError, match="was revoked"):
        authority.authenticate(issued.text, now=NOW)


@pytest.mark.parametrize("text", [None, "", "nonsense", "mf_" + "0" * 12 + "_" + "a" * 43])
def test_a_missing_malformed_or_unknown_token_is_refused(
    authority: Authority, text: str | None
) -> None:
    with pytest.raises(AuthenticationError):
        authority.authenticate(text, now=NOW)


def test_revoking_an_unknown_token_says_how_to_list_them(authority: Authority) -> None:
    with pytest.raises(NotFoundError, match="modelfleet auth tokens"):
        authority.revoke_token("000000000000")


@pytest.mark.parametrize(("name", "kind"), [("../etc", "user"), ("a b", "user"), ("bob", "root")])
def test_a_bad_principal_or_kind_is_refused(authority: Authority, name: str, kind: str) -> None:
    with pytest.raises(UsageError):
        authority.create_token(name, kind=kind, by="admin")  # type: ignore[arg-type]


def test_a_grant_allows_its_role_on_its_scope_only(
    authority: Authority, store: MetadataStore
) -> None:
    authority.grant("alice", "operator", "demand/s1", by="admin")
    policy = RolePolicy(store)
    alice = Caller("alice", roles=())

    policy.check(alice, "rollback", ["demand/s1"])
    with pytest.raises(PermissionDeniedError, match="alice may not rollback demand/s2"):
        policy.check(alice, "rollback", ["demand/s2"])
    with pytest.raises(PermissionDeniedError, match="approver or admin"):
        policy.check(alice, "approve", ["demand/s1"])


def test_granting_twice_keeps_one_grant(authority: Authority, store: MetadataStore) -> None:
    assert authority.grant("alice", "viewer", "*", by="admin") is True
    assert authority.grant("alice", "viewer", "*", by="admin") is False
    assert [(g.role, g.scope) for g in store.grants(["alice"])] == [("viewer", "*")]


def test_a_revoked_grant_stops_allowing_once_the_cache_expires(
    authority: Authority, store: MetadataStore
) -> None:
    authority.grant("alice", "viewer", "demand/*", by="admin")
    policy = RolePolicy(store, cache_seconds=0.0)
    alice = Caller("alice", roles=())
    policy.check(alice, "read", ["demand/s1"])

    authority.revoke("alice", "viewer", "demand/*")

    assert not policy.allows(alice, "read", ["demand/s1"])


def test_revoking_a_grant_not_held_is_refused(authority: Authority) -> None:
    with pytest.raises(NotFoundError, match="holds no 'admin' grant"):
        authority.revoke("alice", "admin", "*")
