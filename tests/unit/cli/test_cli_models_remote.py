"""The CLI against a real control-plane server: ``--url`` / ``MODELFLEET_URL``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.unit.api.live import serve
from tests.unit.api.seed import FLEET, Seeded, copy_seeded, seed_home

from modelfleet.api.app import create_app

CliRunner = Callable[..., Any]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """A seeded registry home, built once for this module."""
    return seed_home(tmp_path_factory.mktemp("remote-cli"))


@pytest.fixture
def seeded(template: Seeded, tmp_path: Path) -> Seeded:
    """This test's own copy of the seeded home (the server's)."""
    return copy_seeded(template, tmp_path / "server")


@pytest.fixture
def url(seeded: Seeded) -> Iterator[str]:
    """A uvicorn server over the seeded home, applying its fleet's policy."""
    with serve(create_app(seeded.settings, [seeded.spec_path], server_user="srv")) as base:
        yield base


@pytest.fixture
def local_home(tmp_path: Path) -> Path:
    """An empty local home: anything read from it would show up as missing data."""
    return tmp_path / "empty-local-home"


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_models_list_reads_the_servers_registry(cli: CliRunner, url: str, local_home: Path) -> None:
    result = cli("--url", url, "models", "list", "--json", home_dir=local_home)

    assert result.exit_code == 0, result.output
    assert len(_lines(result.stdout)) == 3
    assert not local_home.exists()  # the local store was never opened


def test_the_url_can_come_from_the_environment(
    cli: CliRunner, url: str, local_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELFLEET_URL", url)

    result = cli("runs", "list", "--json", home_dir=local_home)

    assert result.exit_code == 0, result.output
    assert {r["tenant"] for r in _lines(result.stdout)} == {"s1", "s2", "s3", "s4"}


def test_promote_uses_the_servers_policy(
    cli: CliRunner, url: str, seeded: Seeded, local_home: Path
) -> None:
    result = cli(
        "--url",
        url,
        "promote",
        str(seeded.spec_path),
        "--env",
        "staging",
        "--json",
        home_dir=local_home,
    )

    assert result.exit_code == 0, result.output
    moved = {r["model"]: r["moved"] for r in _lines(result.stdout)}
    assert moved == {f"{FLEET}/s1": True, f"{FLEET}/s2": False, f"{FLEET}/s3": True}


def test_history_and_card_over_http(cli: CliRunner, url: str, local_home: Path) -> None:
    history = cli("--url", url, "history", f"{FLEET}/s1", "--json", home_dir=local_home)
    card = cli("--url", url, "card", f"{FLEET}/s1@dev", home_dir=local_home)

    assert _lines(history.stdout)[-1]["kind"] == "registered"
    assert "Daily demand per store." in card.stdout


def test_a_server_error_is_printed_like_a_local_one(
    cli: CliRunner, url: str, local_home: Path
) -> None:
    result = cli("--url", url, "models", "show", f"{FLEET}/nobody@prod", home_dir=local_home)

    assert result.exit_code == 2
    assert "not found" in result.stderr
    assert "Traceback" not in result.output


def test_train_refuses_a_server_url(cli: CliRunner, url: str, seeded: Seeded) -> None:
    result = cli("--url", url, "train", str(seeded.spec_path))

    assert result.exit_code == 2
    assert "local" in result.stderr


def test_unreachable_server_is_a_clean_error(cli: CliRunner) -> None:
    result = cli("--url", "http://127.0.0.1:9", "models", "list")

    assert result.exit_code == 1
    assert "cannot reach modelfleet server" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--url", "ftp://example.com", "models", "list"),
        ("--url", "http://127.0.0.1:9", "--home", "/tmp/x", "models", "list"),
    ],
)
def test_bad_url_options_exit_2(cli: CliRunner, args: tuple[str, ...]) -> None:
    result = cli(*args)

    assert result.exit_code == 2
    assert "--url" in result.output


def test_server_command_serves_the_app_with_the_given_specs(
    cli: CliRunner, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    started: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(app=app, **options))

    result = cli("server", "--port", "8123", "--spec", str(seeded.spec_path), home_dir=seeded.home)

    assert result.exit_code == 0, result.output
    assert (started["host"], started["port"]) == ("127.0.0.1", 8123)
    assert started["app"].state.plane.settings.home == seeded.home
    assert list(started["app"].state.plane.specs) == [FLEET]


def test_server_command_with_an_invalid_spec_is_a_clean_error(
    cli: CliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "fleet.yaml"
    bad.write_text("name: demand\nunknown_key: 1\n", encoding="utf-8")

    result = cli("server", "--spec", str(bad))

    assert result.exit_code == 2
    assert "invalid configuration" in result.stderr
    assert "Traceback" not in result.output


def test_server_command_refuses_a_url(cli: CliRunner) -> None:
    result = cli("--url", "http://127.0.0.1:9", "server")

    assert result.exit_code == 2
    assert "--url" in result.output


def test_an_explicit_home_beats_the_url_variable(
    cli: CliRunner, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELFLEET_URL", "http://127.0.0.1:9")

    result = cli("--home", str(seeded.home), "models", "list", "--json")

    assert result.exit_code == 0, result.output
    assert len(_lines(result.stdout)) == 3


def test_actor_with_a_server_url_is_refused_and_moves_nothing(
    cli: CliRunner, url: str, local_home: Path, seeded: Seeded
) -> None:
    result = cli(
        "--url",
        url,
        "promote",
        str(seeded.spec_path),
        "--env",
        "staging",
        "--actor",
        "mallory",
        home_dir=local_home,
    )

    assert result.exit_code == 2
    assert "--actor applies to a local home only" in result.stderr
    history = cli("--url", url, "history", f"{FLEET}/s1", "--json", home_dir=local_home)
    assert all(e["alias"] != "staging" for e in _lines(history.stdout))


def test_writes_over_a_server_url_are_recorded_as_the_servers_caller(
    cli: CliRunner, url: str, local_home: Path, seeded: Seeded
) -> None:
    promoted = cli(
        "--url", url, "promote", str(seeded.spec_path), "--env", "staging", home_dir=local_home
    )
    history = cli("--url", url, "history", f"{FLEET}/s1", "--json", home_dir=local_home)

    assert promoted.exit_code == 0, promoted.output
    staged = [e for e in _lines(history.stdout) if e["alias"] == "staging"]
    assert [e["actor"] for e in staged] == ["srv"]
