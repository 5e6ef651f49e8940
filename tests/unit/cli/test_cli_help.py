"""``modelfleet --help`` and ``--version``, in-process and as the installed console script."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from modelfleet.version import __version__

COMMANDS = ("validate", "train", "demo-data", "quickstart", "runs")


def test_help_lists_every_command(cli: Callable[..., Any]) -> None:
    result = cli("--help")

    assert result.exit_code == 0
    assert all(command in result.stdout for command in COMMANDS)


def test_runs_help_lists_its_subcommands(cli: Callable[..., Any]) -> None:
    result = cli("runs", "--help")

    assert result.exit_code == 0
    assert all(command in result.stdout for command in ("list", "show", "compare"))


def test_version_prints_the_package_version(cli: Callable[..., Any]) -> None:
    result = cli("--version")

    assert result.exit_code == 0
    assert result.stdout.strip() == f"modelfleet {__version__}"


def test_console_script_help_succeeds(console_script: Callable[..., Any]) -> None:
    result = console_script("--help")

    assert result.returncode == 0, result.stderr
    assert all(command in result.stdout for command in COMMANDS)
