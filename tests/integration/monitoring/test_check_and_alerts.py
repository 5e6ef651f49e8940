"""``modelfleet monitor check`` and ``modelfleet alerts``: a drifted tenant opens one alert,
the next check refreshes it (nothing sent twice), a clear check resolves it, ack records who."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelfleet.config.spec import load_spec
from modelfleet.monitoring.service import check
from modelfleet.registry.reads import ArtifactStores


@pytest.fixture
def spec_with_file_sink(logged: Any, tmp_path: Path) -> Iterator[Path]:
    """The demo spec with a JSON-lines sink in this test's folder."""
    spec = yaml.safe_load(logged.spec_path.read_text())
    sink = tmp_path / "alerts.jsonl"
    spec["monitoring"] = {"alerts": {"sinks": [{"kind": "file", "path": str(sink)}]}}
    path = logged.spec_path.parent / f"sink-{tmp_path.name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    yield path
    _clear(logged, path)  # leave no alert open for the other tests
    path.unlink()


def _clear(logged: Any, spec_path: Path) -> Any:
    """A check under a policy nothing can breach: every judged tenant is clear."""
    spec = load_spec(spec_path, "dev")
    relaxed = spec.model_copy(
        update={
            "monitoring": spec.monitoring.model_copy(
                update={"drift": spec.monitoring.drift.model_copy(update={"drift_share": 1.0})}
            )
        }
    )
    return check(logged.store, ArtifactStores(logged.client.settings.artifacts_url), relaxed, "dev")


def _events(spec_path: Path) -> list[dict[str, Any]]:
    spec = yaml.safe_load(spec_path.read_text())
    sink = Path(spec["monitoring"]["alerts"]["sinks"][0]["path"])
    return [json.loads(line) for line in sink.read_text().splitlines()] if sink.exists() else []


def test_a_drifted_tenant_opens_one_alert_and_the_next_check_sends_nothing_again(
    logged: Any, spec_with_file_sink: Path
) -> None:
    first = logged.client.check(spec_with_file_sink, environment="dev")
    second = logged.client.check(spec_with_file_sink, environment="dev")

    opened = {(a.tenant, a.kind) for a in first.opened}
    assert (logged.tenants[0], "drift") in opened
    assert second.opened == ()
    assert {(a.tenant, a.kind) for a in second.still_open} == opened
    events = _events(spec_with_file_sink)
    assert [e["event"] for e in events] == ["opened"] * len(opened)
    assert events[0]["figures"]["drifted_columns"]


def test_a_clear_check_resolves_the_alert_and_sends_the_resolution(
    logged: Any, spec_with_file_sink: Path
) -> None:
    logged.client.check(spec_with_file_sink, environment="dev")

    cleared = _clear(logged, spec_with_file_sink)

    assert cleared.resolved and not cleared.opened
    assert all(a.state == "resolved" and a.resolved_at is not None for a in cleared.resolved)
    assert not logged.client.alerts(fleet=logged.fleet, environment="dev", state="open")


def test_alerts_list_and_ack_record_who_saw_it(
    logged: Any, spec_with_file_sink: Path, run_cli: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("monitor", "check", str(spec_with_file_sink), "--env", "dev", "--json") == 0
    capsys.readouterr()

    assert run_cli("alerts", "list", "--fleet", logged.fleet, "--json") == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    alert_id = listed[0]["id"]
    assert run_cli("alerts", "ack", str(alert_id), "--actor", "oncall") == 0
    capsys.readouterr()
    assert run_cli("alerts", "list", "--fleet", logged.fleet, "--json") == 0
    again = {a["id"]: a for a in (json.loads(x) for x in capsys.readouterr().out.splitlines() if x)}

    assert again[alert_id]["acked_by"] == "oncall" and again[alert_id]["state"] == "open"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("alerts", "list", "--state", "closed"), "open, resolved or all"),
        (("alerts", "ack", "999999"), "no alert 999999"),
        (("alerts", "ack", "zero"), "integer"),
    ],
)
def test_bad_alert_arguments_are_refused_saying_what_to_give(
    logged: Any,
    run_cli: Any,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    code = run_cli(*args)

    err = " ".join(capsys.readouterr().err.split())
    assert code == 2
    assert message in err and "Traceback" not in err


def test_a_spec_with_a_bad_sink_is_refused_naming_it(
    logged: Any, run_cli: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    spec = yaml.safe_load(logged.spec_path.read_text())
    spec["monitoring"] = {
        "alerts": {"sinks": [{"kind": "webhook", "url": "ftp://x"}, {"kind": "file"}]}
    }
    bad = logged.spec_path.parent / "bad-sinks.yaml"
    bad.write_text(yaml.safe_dump(spec))

    code = run_cli("monitor", "check", str(bad), "--env", "dev")

    err = " ".join(capsys.readouterr().err.split())
    assert code == 2
    assert "monitoring.alerts.sinks.0" in err and "http:// or https://" in err
    assert "monitoring.alerts.sinks.1" in err and "needs 'path'" in err


def test_status_lists_every_tenant_with_its_live_version_and_open_alerts(
    logged: Any, spec_with_file_sink: Path, run_cli: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    logged.client.check(spec_with_file_sink, environment="dev")

    code = run_cli("monitor", "status", logged.fleet, "--env", "dev", "--json")

    records = {
        r["tenant"]: r for r in (json.loads(x) for x in capsys.readouterr().out.splitlines() if x)
    }
    assert code == 0
    assert set(records) == set(logged.tenants)
    assert all(r["version"] for r in records.values())
    jumped = records[logged.tenants[0]]
    assert not jumped["healthy"] and {a["kind"] for a in jumped["alerts"]} >= {"drift"}


def test_status_of_an_environment_without_versions_says_nothing_is_live(
    logged: Any, run_cli: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli("monitor", "status", logged.fleet, "--env", "prod")

    out = " ".join(capsys.readouterr().out.split())
    assert code == 0
    assert f"{len(logged.tenants)} tenant(s), 0 live" in out and "not live" in out
