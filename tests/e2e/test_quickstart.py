"""``modelfleet quickstart --stores 4`` in an empty folder, as a new user runs it.

MODELFLEET_HOME is unset, so everything must land in ./.modelfleet of the working folder; the
process pool trains (the default executor). Then ``modelfleet train`` of the generated spec must
find every tenant done.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.csv as pacsv
import pytest

import modelfleet

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Quickstart:
    cwd: Path
    result: subprocess.CompletedProcess[str]

    @property
    def home(self) -> Path:
        return self.cwd / ".modelfleet"

    @property
    def spec(self) -> Path:
        return self.home / "demo" / "fleet.yaml"


@pytest.fixture(scope="module")
def quickstart(
    tmp_path_factory: pytest.TempPathFactory,
    modelfleet_script: Path,
    clean_env: Callable[..., dict[str, str]],
) -> Iterator[Quickstart]:
    cwd = tmp_path_factory.mktemp("quickstart")
    result = subprocess.run(
        [str(modelfleet_script), "quickstart", "--stores", "4"],
        cwd=cwd,
        env=clean_env(COLUMNS="120"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    yield Quickstart(cwd, result)


def _demo_store_ids(quickstart: Quickstart) -> list[str]:
    stores = pacsv.read_csv(quickstart.home / "demo" / "stores.csv")
    return sorted(str(s) for s in stores["store_id"].to_pylist())


def test_quickstart_exits_0(quickstart: Quickstart) -> None:
    assert quickstart.result.returncode == 0, quickstart.result.stderr


def test_quickstart_prints_the_summary_and_where_things_went(quickstart: Quickstart) -> None:
    out = quickstart.result.stdout

    assert "fleet demo-retail · dev" in out
    assert "0 failed, 0 skipped" in out
    assert "Where everything went" in out
    assert str(quickstart.home / "modelfleet.db") in out


def test_quickstart_keeps_everything_in_the_working_folder(quickstart: Quickstart) -> None:
    assert sorted(p.name for p in quickstart.cwd.iterdir()) == [".modelfleet"]
    assert (quickstart.home / "modelfleet.db").is_file()
    assert any((quickstart.home / "artifacts").iterdir())


def test_quickstart_records_a_run_for_every_demo_store(quickstart: Quickstart) -> None:
    with modelfleet.connect(home=str(quickstart.home), environ={}) as client:
        runs = client.runs(fleet="demo-retail")

    assert sorted(r.tenant for r in runs) == _demo_store_ids(quickstart)
    assert all(r.status in ("succeeded", "rejected") for r in runs)


def test_training_the_generated_spec_again_skips_every_store(
    quickstart: Quickstart,
    modelfleet_script: Path,
    clean_env: Callable[..., dict[str, str]],
) -> None:
    again = subprocess.run(
        [str(modelfleet_script), "train", str(quickstart.spec)],
        cwd=quickstart.cwd,
        env=clean_env(COLUMNS="120"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert again.returncode == 0, again.stderr
    stores = len(_demo_store_ids(quickstart))
    assert f"nothing to train, {stores} tenant(s) already done" in again.stdout
    with modelfleet.connect(home=str(quickstart.home), environ={}) as client:
        assert len(client.runs(fleet="demo-retail")) == stores
