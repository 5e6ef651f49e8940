"""``modelfleet doctor`` on real SQLite and PostgreSQL stores: clean, each damage, repairs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from modelfleet.store.migrate import HEAD_REVISION
from modelfleet.tracking.tracker import Tracker

from .conftest import Built, Doctor, age_everything, dead_pid


def _checks(outcome_stdout: str) -> dict[str, dict[str, object]]:
    report = json.loads(outcome_stdout)
    return {c["check"]: c for c in report["checks"]}


def test_a_clean_store_exits_0_and_says_sound(doctor: Doctor) -> None:
    outcome = doctor()
    assert outcome.exit_code == 0, outcome.stdout
    assert "sound" in outcome.stdout


def test_json_of_a_clean_store_lists_every_check_ok(doctor: Doctor) -> None:
    outcome = doctor("--json")
    report = json.loads(outcome.stdout)
    assert report["ok"] is True
    assert {c["check"]: c["status"] for c in report["checks"]} == {
        "database": "ok",
        "schema": "ok",
        "artifacts": "ok",
        "aliases": "ok",
        "history": "ok",
        "stale runs": "ok",
        "temp files": "ok",
        "unreferenced blobs": "ok",
    }


def test_a_changed_artifact_byte_exits_1_naming_the_version(doctor: Doctor, built: Built) -> None:
    path = built.file("s1:1.1.0")
    path.write_bytes(b"X" + path.read_bytes()[1:])
    outcome = doctor()
    assert outcome.exit_code == 1
    assert "demand/s1:1.1.0 artifact model" in outcome.stdout
    assert "damaged" in outcome.stdout


def test_a_deleted_artifact_exits_1_naming_it_missing(doctor: Doctor, built: Built) -> None:
    built.file("s2:1.0.0").unlink()
    checks = _checks(doctor("--json").stdout)
    (finding,) = checks["artifacts"]["findings"]  # type: ignore[misc]
    assert "demand/s2:1.0.0 artifact model" in finding["subject"]
    assert finding["problem"].startswith("missing")


def test_an_alias_edited_with_raw_sql_exits_1_naming_it(doctor: Doctor, built: Built) -> None:
    built.sql(
        "UPDATE aliases SET version_id = (SELECT id FROM model_versions WHERE model = :m AND "
        "minor = 0) WHERE model = :m AND alias = 'dev'",
        m="demand/s1",
    )
    outcome = doctor()
    assert outcome.exit_code == 1
    assert "demand/s1@dev: points at 1.0.0, but its last move" in outcome.stdout


def test_a_broken_history_chain_exits_1_naming_the_event(doctor: Doctor, built: Built) -> None:
    built.sql(
        "DELETE FROM model_events WHERE id = (SELECT MIN(id) FROM model_events WHERE model = :m "
        "AND kind = 'alias_set')",
        m="demand/s1",
    )
    checks = _checks(doctor("--json").stdout)
    assert checks["history"]["status"] == "failed"
    assert checks["aliases"]["status"] == "ok"
    (finding,) = checks["history"]["findings"]  # type: ignore[misc]
    assert finding["subject"].startswith("demand/s1@dev event ")


def _stale_run(built: Built) -> str:
    with Tracker.open(built.store_url) as tracker:
        fleet_run = tracker.start_fleet_run("demand", "dev", "cfg-2")
    built.sql("UPDATE fleet_runs SET owner_pid = :pid WHERE id = :id", pid=dead_pid(), id=fleet_run)
    return fleet_run


def test_a_stale_run_exits_1_and_a_plain_doctor_leaves_it_running(
    doctor: Doctor, built: Built
) -> None:
    fleet_run = _stale_run(built)
    outcome = doctor()
    assert outcome.exit_code == 1
    assert f"fleet run {fleet_run}" in outcome.stdout
    with Tracker.open(built.store_url) as tracker:
        row = tracker.store.get_fleet_run(fleet_run)
    assert row.status == "running"


def test_repair_marks_a_stale_run_interrupted_then_the_store_is_sound(
    doctor: Doctor, built: Built
) -> None:
    fleet_run = _stale_run(built)
    assert doctor("--repair").exit_code == 0
    with Tracker.open(built.store_url) as tracker:
        assert tracker.store.get_fleet_run(fleet_run).status == "interrupted"
    assert doctor().exit_code == 0


def _temp_file(built: Built) -> Path:
    path = built.artifacts.root / "ab" / ".tmp-abcdef0123456789-0f0f"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"half a blob")
    age_everything(path.parent, 3600)
    return path


def test_a_temp_file_exits_1_and_repair_removes_it(doctor: Doctor, built: Built) -> None:
    path = _temp_file(built)
    outcome = doctor()
    assert outcome.exit_code == 1
    assert "ab/.tmp-abcdef0123456789-0f0f" in outcome.stdout
    assert doctor("--repair").exit_code == 0
    assert not path.exists()


def _garbage(built: Built, age_seconds: float) -> str:
    ref = built.artifacts.put_bytes(b"bytes nothing references")
    path = built.artifacts.path_for(ref.digest)
    stat = path.stat()
    os.utime(path, (stat.st_atime - age_seconds, stat.st_mtime - age_seconds))
    return ref.digest


def test_an_old_unreferenced_blob_exits_1_naming_it(doctor: Doctor, built: Built) -> None:
    digest = _garbage(built, 2 * 86400)
    outcome = doctor()
    assert outcome.exit_code == 1
    assert f"{digest[:2]}/{digest}" in outcome.stdout


def test_gc_removes_the_unreferenced_blob_and_keeps_every_referenced_one(
    doctor: Doctor, built: Built
) -> None:
    digest = _garbage(built, 2 * 86400)
    assert doctor("--repair", "--gc").exit_code == 0
    assert not built.artifacts.exists(digest)
    assert all(built.artifacts.exists(d) for d in built.digests.values())
    assert doctor().exit_code == 0


def test_gc_keeps_an_unreferenced_blob_younger_than_the_grace_period(
    doctor: Doctor, built: Built
) -> None:
    digest = _garbage(built, 2 * 86400)
    assert doctor("--repair", "--gc", "--grace", "3d").exit_code == 0
    assert built.artifacts.exists(digest)


def test_gc_without_repair_is_a_usage_error(doctor: Doctor) -> None:
    outcome = doctor("--gc")
    assert outcome.exit_code == 2
    assert "--repair" in outcome.stderr


def test_a_schema_behind_head_exits_1_and_skips_the_other_checks(
    doctor: Doctor, built: Built
) -> None:
    built.sql("UPDATE alembic_version SET version_num = '0003'")
    checks = _checks(doctor("--json").stdout)
    assert checks["schema"]["status"] == "failed"
    assert f"not at head {HEAD_REVISION}" in checks["schema"]["findings"][0]["problem"]  # type: ignore[index]
    assert checks["artifacts"]["status"] == "skipped"


def test_a_home_without_a_store_is_a_clear_error(
    doctor: Doctor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "nowhere" / "modelfleet.db"
    monkeypatch.setenv("MODELFLEET_STORE_URL", f"sqlite:///{missing}")
    outcome = doctor()
    assert outcome.exit_code == 1
    assert "no metadata store at" in outcome.stderr
    assert not (tmp_path / "nowhere").exists()
