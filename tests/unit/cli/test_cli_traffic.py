"""``modelfleet traffic set|show|clear`` on a trained home: JSON for scripts, errors by name."""

from __future__ import annotations

import json

from .conftest import CliRunner, TrainedHome

MODEL = "demo-retail/1"


def test_set_then_show_json_gives_the_setting_with_who_and_why(
    cli: CliRunner, trained_home: TrainedHome
) -> None:
    home = trained_home.home
    done = cli(
        "traffic",
        "set",
        MODEL,
        "--env",
        "prod",
        "--mode",
        "ab",
        "--share",
        "0.25",
        "--reason",
        "try it",
        home_dir=home,
    )
    shown = cli("traffic", "show", MODEL, "--env", "prod", "--json", home_dir=home)

    assert done.exit_code == 0, done.output
    body = json.loads(shown.stdout)
    assert (body["mode"], body["challenger_share"], body["reason"]) == ("ab", 0.25, "try it")


def test_show_without_a_setting_says_the_spec_applies(
    cli: CliRunner, trained_home: TrainedHome
) -> None:
    shown = cli("traffic", "show", MODEL, "--env", "qa", home_dir=trained_home.home)
    as_json = cli("traffic", "show", MODEL, "--env", "qa", "--json", home_dir=trained_home.home)

    assert "spec's routing applies" in shown.stdout
    assert json.loads(as_json.stdout) is None


def test_clear_goes_back_to_the_spec(cli: CliRunner, trained_home: TrainedHome) -> None:
    home = trained_home.home
    cli("traffic", "set", MODEL, "--env", "staging", "--mode", "shadow", home_dir=home)

    cleared = cli("traffic", "clear", MODEL, "--env", "staging", home_dir=home)
    again = cli("traffic", "clear", MODEL, "--env", "staging", home_dir=home)

    assert cleared.exit_code == 0
    assert again.exit_code == 2 and "traffic setting" in again.output


def test_a_bad_mode_or_share_is_refused_naming_it(
    cli: CliRunner, trained_home: TrainedHome
) -> None:
    home = trained_home.home
    mode = cli("traffic", "set", MODEL, "--mode", "blue-green", home_dir=home)
    share = cli("traffic", "set", MODEL, "--mode", "ab", "--share", "3", home_dir=home)

    assert mode.exit_code == 2 and "mode" in mode.output
    assert share.exit_code == 2 and "share" in share.output
    assert "Traceback" not in mode.output + share.output
