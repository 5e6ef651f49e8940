"""A small real store per backend (SQLite file, PostgreSQL) for ``modelfleet doctor``.

Two tenants with real artifact files: ``s1`` has 1.0.0 and 1.1.0 with ``dev`` moved from one
to the other, ``s2`` has 1.0.0 in ``dev``. Every file is aged 30 days, so only what a test
makes young is protected by a grace period. ``doctor(*args)`` runs the real command in process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from tests.unit.api.seed import FLEET, SIGNATURE, build_run

from modelfleet.artifacts import LocalArtifactStore
from modelfleet.cli.app import main
from modelfleet.registry.service import Registry
from modelfleet.store.urls import parse_store_url
from modelfleet.tracking.records import ArtifactRecord
from modelfleet.tracking.tracker import Tracker

OLD_SECONDS = 30 * 86400


@dataclass(frozen=True)
class Built:
    """A store and its artifact folder, with ways to damage them and run the doctor."""

    store_url: str
    artifacts: LocalArtifactStore
    digests: dict[str, str]  # "s1:1.1.0" -> that version's model digest

    def sql(self, statement: str, **params: Any) -> None:
        """Run raw SQL behind the registry's back."""
        engine = create_engine(parse_store_url(self.store_url).url)
        try:
            with engine.begin() as connection:
                connection.execute(text(statement), params)
        finally:
            engine.dispose()

    def file(self, key: str) -> Path:
        """The file of a version's model (``"s1:1.1.0"``)."""
        return self.artifacts.path_for(self.digests[key])


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stdout: str
    stderr: str


Doctor = Callable[..., Outcome]


def age_everything(root: Path, seconds: float = OLD_SECONDS) -> None:
    """Make every file under ``root`` ``seconds`` old."""
    for path in root.rglob("*"):
        if path.is_file():
            stat = path.stat()
            os.utime(path, (stat.st_atime - seconds, stat.st_mtime - seconds))


def dead_pid() -> int:
    """The pid of a process that has just exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def build_store(store_url: str, root: Path) -> Built:
    """Record, register and alias two tenants' versions with real artifact bytes."""
    artifacts = LocalArtifactStore(root)
    digests: dict[str, str] = {}
    with Tracker.open(store_url) as tracker:
        registry = Registry(tracker.store, str(root))
        fleet_run = tracker.start_fleet_run(FLEET, "dev", "cfg-1")
        for tenant, n in (("s1", 0), ("s2", 0), ("s1", 1)):
            ref = artifacts.put_bytes(f"model of {tenant} #{n}".encode())
            record = ArtifactRecord("model", "lightgbm", ref.digest, ref.uri, ref.size_bytes)
            run = build_run(tenant, 0.2, 0.3, n=n, fleet_run_id=fleet_run, artifacts=(record,))
            tracker.record_runs([run])
            version = registry.register(run, SIGNATURE, caller="trainer")
            digests[f"{tenant}:{version.version}"] = ref.digest
            registry.set_alias(
                f"{FLEET}/{tenant}", "dev", version.version, caller="trainer", reason="test"
            )
        tracker.finish_fleet_run(
            fleet_run, "succeeded", succeeded=3, rejected=0, failed=0, skipped=0
        )
    age_everything(root)
    return Built(store_url, artifacts, digests)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def built(request: pytest.FixtureRequest, tmp_path: Path) -> Built:
    """The two-tenant store, once per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'home' / 'modelfleet.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    return build_store(url, tmp_path / "artifacts")


@pytest.fixture
def doctor(
    built: Built, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Doctor:
    """``doctor(*args)``: ``modelfleet doctor *args`` on the built store, in process."""
    for name in list(os.environ):
        if name.startswith("MODELFLEET_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("MODELFLEET_STORE_URL", built.store_url)
    monkeypatch.setenv("MODELFLEET_ARTIFACTS_URL", str(built.artifacts.root))

    def run(*args: str) -> Outcome:
        monkeypatch.setattr(sys, "argv", ["modelfleet", "doctor", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return Outcome(code, out, err)

    return run
