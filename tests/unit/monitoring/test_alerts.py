"""Planning alerts: one per breach while it lasts, resolved when judged clear, kept otherwise."""

from __future__ import annotations

from datetime import UTC, datetime

from modelfleet.monitoring.alerts import Breach, plan_alerts
from modelfleet.store.alerts import AlertRow

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def _open(alert_id: int, tenant: str, kind: str = "drift") -> AlertRow:
    return AlertRow(
        alert_id, "f", tenant, "prod", kind, "1.0.0", "open", "m", "{}", T0, T0, None, None, None
    )


def _breach(tenant: str, kind: str = "drift") -> Breach:
    return Breach(tenant, kind, "1.0.0", f"{tenant} {kind}")  # type: ignore[arg-type]


def test_a_new_breach_opens_an_alert() -> None:
    plan = plan_alerts([], [_breach("a")], {("a", "drift")})

    assert [b.tenant for b in plan.opened] == ["a"]
    assert plan.seen == () and plan.resolved == ()


def test_a_breach_whose_alert_is_open_refreshes_it_and_opens_no_second() -> None:
    current = _open(7, "a")

    plan = plan_alerts([current], [_breach("a")], {("a", "drift")})

    assert plan.opened == ()
    assert plan.seen == ((current, _breach("a")),)


def test_an_open_alert_judged_clear_is_resolved() -> None:
    plan = plan_alerts([_open(7, "a")], [], {("a", "drift")})

    assert [a.id for a in plan.resolved] == [7]


def test_an_open_alert_of_a_tenant_not_judged_stays_open() -> None:
    plan = plan_alerts([_open(7, "a")], [], {("b", "drift")})

    assert plan.resolved == () and plan.opened == ()


def test_kinds_are_kept_apart() -> None:
    plan = plan_alerts(
        [_open(7, "a", "drift")],
        [_breach("a", "performance")],
        {("a", "drift"), ("a", "performance")},
    )

    assert [(b.tenant, b.kind) for b in plan.opened] == [("a", "performance")]
    assert [a.id for a in plan.resolved] == [7]
