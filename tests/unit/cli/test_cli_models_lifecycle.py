"""``modelfleet promote|approve|rollback|history|card`` on a seeded registry home."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.unit.api.seed import FLEET, Seeded, copy_seeded, seed_home

CliRunner = Callable[..., Any]
S1 = f"{FLEET}/s1"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """A seeded registry home (s1..s3 at 1.0.0 in dev), built once for this module."""
    return seed_home(tmp_path_factory.mktemp("lifecycle-cli"))


@pytest.fixture
def seeded(template: Seeded, tmp_path: Path) -> Seeded:
    """This test's own copy of the seeded home."""
    return copy_seeded(template, tmp_path / "copy")


@pytest.fixture
def run(cli: CliRunner, seeded: Seeded) -> CliRunner:
    """``run(*args)``: ``modelfleet *args`` on the seeded home."""
    return lambda *args: cli(*args, home_dir=seeded.home)


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_fleet_promotion_reports_each_tenant_and_why(run: CliRunner, seeded: Seeded) -> None:
    result = run("promote", str(seeded.spec_path), "--env", "staging")

    assert result.exit_code == 0, result.output
    assert "2 moved" in result.stdout and "1 not moved" in result.stdout
    assert "worse" in result.stdout  # s2's reason
    assert "modelfleet rollback --batch" in result.stdout


def test_fleet_promotion_json_has_one_outcome_per_tenant(run: CliRunner, seeded: Seeded) -> None:
    rows = _lines(run("promote", str(seeded.spec_path), "--env", "staging", "--json").stdout)

    assert {r["model"]: r["moved"] for r in rows} == {
        f"{FLEET}/s1": True,
        f"{FLEET}/s2": False,
        f"{FLEET}/s3": True,
    }
    assert len({r["batch_id"] for r in rows}) == 1


def test_promoting_one_tenant_that_is_refused_exits_1(run: CliRunner, seeded: Seeded) -> None:
    result = run("promote", str(seeded.spec_path), "--env", "staging", "--tenant", "s2")

    assert result.exit_code == 1
    assert "not moved" in result.stdout


def test_version_without_tenant_exits_2(run: CliRunner, seeded: Seeded) -> None:
    result = run("promote", str(seeded.spec_path), "--env", "dev", "--version", "1.0.0")

    assert result.exit_code == 2
    assert "--tenant" in result.output


def test_promote_with_a_missing_spec_file_is_a_clean_error(run: CliRunner, tmp_path: Path) -> None:
    result = run("promote", str(tmp_path / "nope.yaml"), "--env", "dev")

    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_approval_then_promotion_to_prod(run: CliRunner, seeded: Seeded) -> None:
    spec = str(seeded.spec_path)
    run("promote", spec, "--env", "staging", "--tenant", "s1")

    waiting = run("promote", spec, "--env", "prod", "--tenant", "s1")
    approved = run("approve", S1, "--version", "1.0.0", "--env", "prod", "--actor", "carol")
    moved = run("promote", spec, "--env", "prod", "--tenant", "s1")

    assert (waiting.exit_code, approved.exit_code, moved.exit_code) == (1, 0, 0)
    assert "waiting for approval" in waiting.stdout
    assert "approved" in approved.stdout
    assert "moved" in moved.stdout


def test_rollback_of_one_environment(run: CliRunner, seeded: Seeded) -> None:
    run("promote", str(seeded.spec_path), "--env", "staging", "--tenant", "s1")

    result = run("rollback", S1, "--env", "staging", "--reason", "bad", "--json")

    assert result.exit_code == 0, result.output
    event = _lines(result.stdout)[0]
    assert (event["alias"], event["from_version"], event["reason"]) == ("staging", "1.0.0", "bad")


def test_rollback_of_a_batch(run: CliRunner, seeded: Seeded) -> None:
    rows = _lines(run("promote", str(seeded.spec_path), "--env", "staging", "--json").stdout)

    result = run("rollback", "--batch", rows[0]["batch_id"], "--json")

    assert result.exit_code == 0, result.output
    assert len(_lines(result.stdout)) == 2


@pytest.mark.parametrize(
    "args",
    [("rollback",), ("rollback", S1), ("rollback", S1, "--env", "dev", "--batch", "x" * 32)],
)
def test_rollback_needs_model_and_env_or_a_batch(run: CliRunner, args: tuple[str, ...]) -> None:
    result = run(*args)

    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_history_table_and_json(run: CliRunner) -> None:
    table = run("history", S1)
    rows = _lines(run("history", S1, "--json").stdout)

    assert table.exit_code == 0, table.output
    assert "registered" in table.stdout
    assert rows[-1]["kind"] == "registered"
    assert {"actor", "reason", "at", "from_version", "to_version"} <= set(rows[0])


def test_history_records_the_actor_given(run: CliRunner, seeded: Seeded) -> None:
    run("promote", str(seeded.spec_path), "--env", "staging", "--tenant", "s1", "--actor", "dave")

    assert _lines(run("history", S1, "--json", "--limit", "1").stdout)[0]["actor"] == "dave"


def test_history_of_an_unknown_model_exits_2(run: CliRunner) -> None:
    result = run("history", f"{FLEET}/nobody")

    assert result.exit_code == 2
    assert "not found" in result.stderr


def test_card_prints_markdown(run: CliRunner) -> None:
    result = run("card", f"{S1}@dev")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"# Model card: {S1} 1.0.0")


def test_card_with_spec_states_the_purpose(run: CliRunner, seeded: Seeded) -> None:
    result = run("card", f"{S1}@dev", "--spec", str(seeded.spec_path))

    assert "Daily demand per store." in result.stdout


def test_card_html_to_a_file(run: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "card.html"

    result = run("card", S1, "--format", "html", "--out", str(out))

    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_card_with_an_unknown_format_exits_2(run: CliRunner) -> None:
    result = run("card", S1, "--format", "pdf")

    assert result.exit_code == 2
    assert "markdown or html" in result.output


def test_card_to_an_unwritable_path_exits_2(run: CliRunner, tmp_path: Path) -> None:
    result = run("card", S1, "--out", str(tmp_path / "missing" / "card.md"))

    assert result.exit_code == 2
    assert "cannot write" in result.output
