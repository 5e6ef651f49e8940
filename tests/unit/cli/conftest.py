"""Run the ``modelfleet`` command in-process through its real entry point, on a temp home.

``cli(*args)`` calls :func:`modelfleet.cli.app.main` (what the console script runs, including its
translation of modelfleet errors into clean messages) with ``sys.argv`` set, and returns the exit
code and captured output. ``MODELFLEET_HOME`` points into the test's tmp dir; other
``MODELFLEET_*`` variables are removed so the developer's environment never leaks in.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import modelfleet
from modelfleet.cli.app import main
from modelfleet.data.demo import DemoData, generate_demo_data
from modelfleet.pipeline.executors import InlineExecutor
from modelfleet.tracking.records import TenantRunRecord

WIDE = "200"  # columns for rich output, so tables do not wrap in assertions


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


CliRunner = Callable[..., CliResult]


def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("MODELFLEET_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", WIDE)
    # Rich fixes a console's width for good when COLUMNS is set as the console is made, and the
    # CLI's module-level consoles are made once per process, by whichever test imports them
    # first (in the full suite, under some other test's environment). Let them follow COLUMNS
    # for this test, whatever width they were made with.
    from modelfleet.cli import render, render_fleet_runs

    for module in (render, render_fleet_runs):
        monkeypatch.setattr(module.console, "_width", None)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """This test's modelfleet home (not created until a command needs it)."""
    return tmp_path / "home"


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], home: Path
) -> CliRunner:
    """``cli(*args, home=None)``: run ``modelfleet *args``; MODELFLEET_HOME defaults to ``home``."""
    _clean_environment(monkeypatch)

    def run(*args: str, home_dir: Path | None = None) -> CliResult:
        monkeypatch.setenv("MODELFLEET_HOME", str(home_dir or home))
        monkeypatch.setattr(sys, "argv", ["modelfleet", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


@pytest.fixture
def console_script() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``console_script(*args, env=..., cwd=...)``: run the installed ``modelfleet`` script."""
    script = Path(sys.executable).with_name("modelfleet")
    if not script.exists():
        pytest.skip(f"the modelfleet console script is not installed next to {sys.executable}")

    def run(
        *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("MODELFLEET_")}
        return subprocess.run(
            [str(script), *args],
            env={**base, **(env or {})},
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


@pytest.fixture
def demo(tmp_path: Path) -> DemoData:
    """A fresh five-store, 200-day demo fleet in this test's tmp dir."""
    return generate_demo_data(tmp_path / "demo", stores=5, days=200)


@dataclass(frozen=True)
class TrainedHome:
    home: Path
    demo: DemoData
    runs: list[TenantRunRecord]  # newest first


@pytest.fixture(scope="module")
def trained_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrainedHome]:
    """A home where the demo fleet was trained once (inline); for read-only commands."""
    root = tmp_path_factory.mktemp("trained")
    demo = generate_demo_data(root / "demo", stores=5, days=200)
    with modelfleet.connect(home=str(root / "home"), environ={}) as client:
        client.train(demo.spec_path, "dev", executor=InlineExecutor())
        yield TrainedHome(root / "home", demo, client.runs())


@pytest.fixture(scope="session")
def edit_spec() -> Callable[[Path, Callable[[dict[str, Any]], None]], None]:
    """``edit_spec(path, change)``: rewrite a fleet.yaml through a mutating function."""

    def edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    return edit
