"""Every registry write goes through one path: the policy is asked first, with the caller.

A recording policy sees each write's caller, action and models; a refusing policy stops the
write before anything reaches the store. Run on every store backend.
"""

from __future__ import annotations

from collections.abc import Collection

import pytest

from modelfleet.caller import Action, Caller
from modelfleet.errors import ModelfleetError
from modelfleet.registry import Registry
from modelfleet.store import MetadataStore

from .conftest import FLEET, SIGNATURE, MakeRun, policy, ticking_clock

S1 = f"{FLEET}/s1"


class Refused(ModelfleetError):
    """What the refusing policy raises."""

    http_status = 403
    headline = "forbidden"


class RecordingPolicy:
    """Allows everything and remembers what it was asked; refuses one action if told to."""

    def __init__(self, refuse: Action | None = None) -> None:
        self.asked: list[tuple[str, Action, tuple[str, ...]]] = []
        self.refuse = refuse

    def check(self, caller: Caller, action: Action, models: Collection[str]) -> None:
        self.asked.append((caller.principal, action, tuple(models)))
        if action == self.refuse:
            raise Refused(f"{caller.principal} may not {action} {sorted(models)}")


@pytest.fixture
def seen() -> RecordingPolicy:
    return RecordingPolicy()


@pytest.fixture
def audited(registry_store: MetadataStore, seen: RecordingPolicy) -> Registry:
    return Registry(registry_store, clock=ticking_clock(), policy=seen)


def test_every_write_asks_the_policy_with_its_caller_action_and_model(
    audited: Registry, seen: RecordingPolicy, make_run: MakeRun
) -> None:
    ana = Caller("ana")
    audited.register(make_run("s1"), SIGNATURE, caller=ana)
    audited.update_metadata(f"{S1}:1.0.0", caller=ana, tags={"tier": "gold"})
    audited.promote(S1, "dev", policy=policy(), caller=ana)
    audited.approve(S1, "1.0.0", "prod", caller=ana)
    audited.set_alias(S1, "champion", "1.0.0", caller=ana, reason="")
    audited.remove_alias(S1, "champion", caller=ana, reason="")
    audited.rollback(S1, "dev", caller=ana)
    audited.archive(S1, "1.0.1", caller=ana)
    audited.delete_version(S1, "1.0.1", caller=ana)

    assert seen.asked == [
        ("ana", action, (S1,))
        for action in (
            "register",
            "update_metadata",
            "promote",  # asked first, before anything is read (a refusal reveals nothing)
            "promote",  # and again by the write itself
            "approve",
            "set_alias",
            "remove_alias",
            "rollback",
            "archive",
            "delete",
        )
    ]


def test_a_batch_rollback_asks_for_every_model_it_moves(
    audited: Registry, seen: RecordingPolicy, make_run: MakeRun
) -> None:
    audited.register_many([(make_run(t), SIGNATURE) for t in ("s1", "s2")], caller="ana")
    batch = audited.promote_fleet(FLEET, "dev", policy=policy(), caller="ana")
    seen.asked.clear()

    audited.rollback_batch(batch.batch_id, caller="bob")

    assert seen.asked == [("bob", "rollback", (S1, f"{FLEET}/s2"))]


def test_a_refused_write_changes_nothing(registry_store: MetadataStore, make_run: MakeRun) -> None:
    registry = Registry(registry_store, clock=ticking_clock(), policy=RecordingPolicy("promote"))
    registry.register(make_run("s1"), SIGNATURE, caller="ana")

    with pytest.raises(Refused, match="ana may not promote"):
        registry.promote(S1, "dev", policy=policy(), caller="ana")

    assert registry.resolve(S1).aliases == ()
    assert [e.kind for e in registry.history(S1)] == ["registered"]


def test_events_record_the_callers_principal(audited: Registry, make_run: MakeRun) -> None:
    audited.register(make_run("s1"), SIGNATURE, caller=Caller("svc-trainer", via="pipeline"))
    audited.promote(S1, "dev", policy=policy(), caller=Caller("ana"))

    actors = [(e.kind, e.actor) for e in reversed(audited.history(S1))]
    assert actors == [
        ("registered", "svc-trainer"),
        ("alias_set", "ana"),
        ("status_changed", "ana"),
    ]
