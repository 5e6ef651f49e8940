"""``modelfleet models list|search|show|versions|tag|alias|archive`` on a seeded registry home."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.unit.api.seed import FLEET, Seeded, copy_seeded, seed_home

CliRunner = Callable[..., Any]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """A seeded registry home (s1..s3 at 1.0.0 in dev), built once for this module."""
    return seed_home(tmp_path_factory.mktemp("models-cli"))


@pytest.fixture
def seeded(template: Seeded, tmp_path: Path) -> Seeded:
    """This test's own copy of the seeded home."""
    return copy_seeded(template, tmp_path / "copy")


@pytest.fixture
def models(cli: CliRunner, seeded: Seeded) -> CliRunner:
    """``models(*args)``: ``modelfleet models *args`` on the seeded home."""
    return lambda *args: cli("models", *args, home_dir=seeded.home)


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_list_shows_each_model_in_a_table(models: CliRunner) -> None:
    result = models("list")

    assert result.exit_code == 0, result.output
    assert "3 model(s)" in result.stdout
    for tenant in ("s1", "s2", "s3"):
        assert f"{FLEET}/{tenant}" in result.stdout


def test_list_json_gives_the_rest_shape_one_object_per_line(models: CliRunner) -> None:
    rows = _lines(models("list", "--json").stdout)

    assert sorted(r["model"] for r in rows) == [f"{FLEET}/s1", f"{FLEET}/s2", f"{FLEET}/s3"]
    assert {"version", "status", "aliases", "metrics", "signature", "tags"} <= set(rows[0])


def test_list_by_environment_with_no_match_is_an_empty_table(models: CliRunner) -> None:
    result = models("list", "--env", "prod")

    assert result.exit_code == 0
    assert "0 model(s)" in result.stdout


def test_search_by_tag_and_metric(models: CliRunner) -> None:
    result = models("search", "--tag", "tier:gold", "--metric", "wmape<0.3", "--json")

    assert result.exit_code == 0, result.output
    assert sorted(r["tenant"] for r in _lines(result.stdout)) == ["s1", "s3"]


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (("--metric", "wmape>>1"), "--metric"),
        (("--tag", "no-colon"), "--tag"),
        (("--status", "gone"), "--status"),
        (("--limit", "0"), "--limit"),
    ],
)
def test_search_with_bad_filters_exits_2_without_a_traceback(
    models: CliRunner, args: tuple[str, ...], hint: str
) -> None:
    result = models("search", *args)

    assert result.exit_code == 2
    assert hint in result.output
    assert "Traceback" not in result.output


def test_show_one_version_by_alias(models: CliRunner) -> None:
    result = models("show", f"{FLEET}/s1@dev")

    assert result.exit_code == 0, result.output
    assert f"{FLEET}/s1:1.0.0" in result.stdout
    assert "tag.customer" in result.stdout


def test_show_a_malformed_reference_exits_2(models: CliRunner) -> None:
    result = models("show", "no-slash-here")

    assert result.exit_code == 2
    assert "invalid request" in result.stderr
    assert "fleet/tenant" in result.stderr


def test_show_an_unknown_model_exits_2_with_not_found(models: CliRunner) -> None:
    result = models("show", f"{FLEET}/nobody")

    assert result.exit_code == 2
    assert "not found" in result.stderr


def test_versions_lists_every_version_newest_first(models: CliRunner) -> None:
    models("tag", f"{FLEET}/s1:1.0.0", "owner=team-a")

    rows = _lines(models("versions", f"{FLEET}/s1", "--json").stdout)

    assert [r["version"] for r in rows] == ["1.0.1", "1.0.0"]


def test_tag_records_a_patch_version_with_merged_tags(models: CliRunner) -> None:
    result = models("tag", f"{FLEET}/s1:1.0.0", "owner=team-a", "--description", "ok", "--json")

    assert result.exit_code == 0, result.output
    row = _lines(result.stdout)[0]
    assert (row["version"], row["tags"]["owner"], row["tags"]["customer"]) == (
        "1.0.1",
        "team-a",
        "acme",
    )


def test_tag_without_tags_or_description_exits_2(models: CliRunner) -> None:
    result = models("tag", f"{FLEET}/s1:1.0.0")

    assert result.exit_code == 2
    assert "KEY=VALUE" in result.output


def test_alias_points_champion_at_a_version(models: CliRunner) -> None:
    result = models("alias", f"{FLEET}/s1", "champion", "--version", "1.0.0", "--actor", "bob")

    assert result.exit_code == 0, result.output
    assert "champion" in result.stdout
    assert _lines(models("show", f"{FLEET}/s1@champion", "--json").stdout)[0]["version"] == "1.0.0"


def test_archive_of_a_version_in_use_is_a_clean_conflict(models: CliRunner) -> None:
    result = models("archive", f"{FLEET}/s1", "--version", "1.0.0")

    assert result.exit_code == 1
    assert "conflict" in result.stderr
    assert "Traceback" not in result.output
