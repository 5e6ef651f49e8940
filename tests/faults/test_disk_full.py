"""The artifact folder fills up during ``modelfleet train``.

A quota folder needs root, so the disk fills at the local artifact store's one write seam: the
file object ``_write_atomically`` writes a blob's temp file through. The fixture lets the first
few blobs through, writes half of the next one and raises ``ENOSPC`` (as a full disk does, with
part of the bytes on disk), then refuses every write. Everything above the seam is the real code:
the CLI's entry point, the runner, the inline executor, the tenant task and the store's cleanup.
"""

from __future__ import annotations

import errno
import os
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from tests.faults.conftest import HELPERS, Cli, SlowFleet

from modelfleet.artifacts import local
from modelfleet.artifacts.base import TEMP_PREFIX
from modelfleet.cli.app import main

pytestmark = pytest.mark.faults

STORES = 5
ROOM_FOR_BLOBS = 8  # a tenant writes four (model, metadata, holdout, profile): two tenants fit


@dataclass
class FullDisk:
    """Counts blob writes; past ``room`` whole blobs the disk is full."""

    room: int
    written: int = 0
    refused: int = 0

    def open(self, handle: BinaryIO) -> _FillingFile:
        return _FillingFile(handle, self)


class _FillingFile:
    """A temp file that takes only as many bytes as the disk has room for."""

    def __init__(self, handle: BinaryIO, disk: FullDisk) -> None:
        self.handle, self.disk = handle, disk

    def __enter__(self) -> _FillingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()

    def write(self, data: bytes) -> int:
        if self.disk.written < self.disk.room:
            self.disk.written += 1
            return self.handle.write(data)
        if self.disk.refused == 0:  # the write that hits the wall gets half its bytes out
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
        self.disk.refused += 1
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)


class _OsWithFullDisk:
    """The ``os`` module as ``artifacts/local.py`` sees it, except that ``fdopen`` fills up."""

    def __init__(self, disk: FullDisk) -> None:
        self.disk = disk

    def fdopen(self, fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> _FillingFile:
        return self.disk.open(os.fdopen(fd, mode, *args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> Callable[[], FullDisk]:
    """``full_disk()``: from now on, artifact writes in this process fill the disk and fail
    (until the test ends: monkeypatch puts the real ``os`` back, the disk is "freed")."""

    def fill() -> FullDisk:
        disk = FullDisk(ROOM_FOR_BLOBS)
        monkeypatch.setattr(local, "os", _OsWithFullDisk(disk))
        return disk

    return fill


@pytest.fixture
def in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], cli: Cli
) -> Callable[..., tuple[int, str]]:
    """``in_process(*args)``: the CLI's real entry point in this process, on ``cli``'s home."""
    for name in list(os.environ):
        if name.startswith("MODELFLEET_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MODELFLEET_HOME", cli.env["MODELFLEET_HOME"])
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.syspath_prepend(str(HELPERS))

    def run(*args: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["modelfleet", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out + err

    return run


def _temp_files(home: Path) -> list[Path]:
    return [p for p in (home / "artifacts").rglob("*") if p.name.startswith(TEMP_PREFIX)]


def test_a_full_artifact_disk_fails_the_tenants_it_hits_and_the_next_train_finishes_the_rest(
    cli: Cli,
    slow_fleet: Callable[[int, float], SlowFleet],
    full_disk: Callable[[], FullDisk],
    in_process: Callable[..., tuple[int, str]],
) -> None:
    fleet = slow_fleet(STORES, 0.0)
    disk = full_disk()
    code, output = in_process("train", fleet.spec, "--executor", "inline")
    runs = cli.json_lines("runs", "list")
    registered = {v["tenant"] for v in cli.json_lines("models", "list")}
    left = _temp_files(Path(cli.env["MODELFLEET_HOME"]))
    doctor = cli.doctor_after_repair()
    again = cli.run("train", fleet.spec, "--executor", "inline")
    versions = Counter(v["tenant"] for v in cli.json_lines("models", "list"))

    failed = [r for r in runs if r["status"] == "failed"]
    succeeded = {r["tenant"] for r in runs if r["status"] == "succeeded"}
    assert disk.refused > 0
    assert code in (1, 3)  # every tenant failed (1), or some did (3: partial)
    assert "Traceback" not in output
    assert failed, "no tenant failed on the full disk"
    assert all("artifact folder is full" in r["reason"] for r in failed), failed
    assert len(succeeded) == ROOM_FOR_BLOBS // 4
    assert registered == succeeded
    assert left == []
    assert doctor.returncode == 0, doctor.stdout
    assert again.returncode == 0, again.stderr
    assert versions == dict.fromkeys(fleet.tenants, 1)
