"""``modelfleet autopilot`` and ``modelfleet actions``: tables, JSON lines, exit codes, and
refusals of bad arguments that name what to give instead."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from tests.integration.monitoring.autopilot.conftest import Fleet, FleetFactory

from modelfleet.errors import ConflictError
from modelfleet.monitoring.autopilot.lock import fleet_lock

pytestmark = pytest.mark.slow

RunCli = Callable[..., int]


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@pytest.fixture
def drifted(make_fleet: FleetFactory) -> Fleet:
    fleet = make_fleet(stores=4, autopilot={"approval": ["retrain"]})
    fleet.serve_live_inputs(shift=("2",))
    fleet.new_data_for(("2",))
    return fleet


def test_the_dry_run_table_shows_the_plan_and_says_nothing_changed(
    drifted: Fleet, run_cli: RunCli, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli(drifted, "autopilot", str(drifted.spec_path), "--dry-run")

    flat = " ".join(capsys.readouterr().out.split())
    assert code == 0
    assert "dry run: nothing changed" in flat and "retrain" in flat and "planned" in flat
    assert "needs approval" in flat


def test_json_lines_hold_the_pass_then_each_step(
    drifted: Fleet, run_cli: RunCli, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli(drifted, "autopilot", str(drifted.spec_path), "--json")

    records = _lines(capsys.readouterr().out)
    assert code == 0
    assert records[0]["record"] == "pass" and records[0]["drifted"] == ["2"]
    steps = [r for r in records if r["record"] == "step"]
    assert [(s["tenant"], s["kind"], s["status"]) for s in steps] == [("2", "retrain", "pending")]


def test_a_pending_step_is_listed_approved_and_then_carried_out(
    drifted: Fleet, run_cli: RunCli, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli(drifted, "autopilot", str(drifted.spec_path))
    capsys.readouterr()
    assert run_cli(drifted, "actions", "list", "--status", "pending", "--json") == 0
    pending = _lines(capsys.readouterr().out)
    assert [(p["tenant"], p["kind"]) for p in pending] == [("2", "retrain")]

    assert run_cli(drifted, "actions", "approve", str(pending[0]["id"]), "--reason", "ok") == 0
    assert "approved" in capsys.readouterr().out
    assert run_cli(drifted, "autopilot", str(drifted.spec_path), "--json") == 0

    steps = [r for r in _lines(capsys.readouterr().out) if r["record"] == "step"]
    assert [(s["kind"], s["status"]) for s in steps][:2] == [
        ("retrain", "done"),
        ("promote", "done"),
    ]
    decided = drifted.client.autopilot_actions(fleet=drifted.fleet, status="approved")
    assert decided[0].decided_by and decided[0].reason.endswith(": ok")


def test_the_actions_table_lists_what_was_done(
    drifted: Fleet, run_cli: RunCli, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli(drifted, "autopilot", str(drifted.spec_path))
    capsys.readouterr()

    assert run_cli(drifted, "actions", "list") == 0

    flat = " ".join(capsys.readouterr().out.split())
    assert f"autopilot actions of {drifted.fleet}@prod" in flat and "pending" in flat


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--every", "10s"), "shorter than a minute"),
        (("--every", "often"), "not a duration"),
        (("--env", "qa"), "environment 'qa' is not declared"),
        (("--env", "../x"), "environment '../x' is not declared"),
    ],
)
def test_bad_autopilot_arguments_are_refused_saying_what_to_give(
    drifted: Fleet,
    run_cli: RunCli,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    says: str,
) -> None:
    code = run_cli(drifted, "autopilot", str(drifted.spec_path), *args)

    err = capsys.readouterr().err
    assert code != 0 and says in " ".join(err.split()) and "Traceback" not in err


def test_a_missing_spec_file_is_named(
    drifted: Fleet, run_cli: RunCli, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli(drifted, "autopilot", str(drifted.spec_path.with_name("nope.yaml")))

    squeezed = "".join(capsys.readouterr().err.split())  # the console wraps long paths anywhere
    assert code != 0 and "nope.yaml:nosuchfleetspecfile" in squeezed


@pytest.mark.parametrize(
    ("verb", "target", "says"),
    [
        ("approve", "999", "no autopilot action 999"),
        ("reject", "0", "greater than or equal to 1"),
        ("approve", "abc", "integer"),
    ],
)
def test_approving_an_unknown_action_is_refused(
    drifted: Fleet,
    run_cli: RunCli,
    capsys: pytest.CaptureFixture[str],
    verb: str,
    target: str,
    says: str,
) -> None:
    code = run_cli(drifted, "actions", verb, target)

    assert code != 0 and says in " ".join(capsys.readouterr().err.split())


def test_approving_a_step_that_is_not_pending_is_refused(
    drifted: Fleet, run_cli: RunCli, capsys: pytest.CaptureFixture[str]
) -> None:
    drifted.autopilot()
    pending = drifted.client.autopilot_actions(status="pending")[0]
    drifted.client.reject_action(pending.id)

    code = run_cli(drifted, "actions", "approve", str(pending.id))

    assert code != 0 and "is rejected, not pending" in " ".join(capsys.readouterr().err.split())


def test_an_unknown_status_filter_is_refused_listing_the_statuses(
    drifted: Fleet, run_cli: RunCli, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli(drifted, "actions", "list", "--status", "sleeping")

    assert code != 0 and "pending" in capsys.readouterr().err


def test_a_pass_while_another_holds_the_lock_is_refused_and_changes_nothing(
    drifted: Fleet, run_cli: RunCli, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime, timedelta

    with fleet_lock(drifted.store, drifted.fleet, "prod", timedelta(hours=1), datetime.now(UTC)):
        code = run_cli(drifted, "autopilot", str(drifted.spec_path))
        with pytest.raises(ConflictError, match="already running"):
            drifted.autopilot()

    assert code != 0 and "already running" in capsys.readouterr().err
    assert drifted.client.autopilot_actions(fleet=drifted.fleet) == []
    assert drifted.client.alerts(fleet=drifted.fleet, state=None) == []


def test_every_runs_passes_until_sigterm_stops_it_cleanly(
    make_fleet: FleetFactory, clean_env: Callable[..., dict[str, str]]
) -> None:
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    fleet = make_fleet(stores=4)
    script = Path(sys.executable).with_name("modelfleet")
    env = clean_env(MODELFLEET_HOME=str(fleet.client.settings.home), MODELFLEET_EXECUTOR="inline")
    process = subprocess.Popen(
        [str(script), "autopilot", str(fleet.spec_path), "--every", "1h"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 120
        seen = ""
        while "next pass in 1h" not in seen:
            assert time.monotonic() < deadline and process.poll() is None, seen
            seen += process.stdout.readline()
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 143 and "Traceback" not in err, err
    assert "nothing to do" in seen and "autopilot terminated" in " ".join(err.split())
    assert fleet.store.autopilot_lock(fleet.fleet, "prod") is None
