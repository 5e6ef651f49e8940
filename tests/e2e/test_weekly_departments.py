"""End-to-end: the weekly store x department export of docs/onboarding.md, by config alone."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory, modelfleet_script: Path) -> Path:
    """A small generated export: 3 stores x 4 departments."""
    out = tmp_path_factory.mktemp("weekly") / "export"
    subprocess.run(
        [
            str(modelfleet_script),
            "demo-data",
            str(out),
            "--kind",
            "weekly-departments",
            "--stores",
            "3",
            "--departments",
            "4",
            "--seed",
            "1",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out


@pytest.fixture
def run(modelfleet_script: Path, clean_env: Callable[..., dict[str, str]], export: Path) -> Run:
    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(modelfleet_script), *args],
            cwd=export,
            env=clean_env(COLUMNS="200"),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    return call


def test_the_export_has_the_raw_quirks(export: Path) -> None:
    assert b"\r" in (export / "stores.csv").read_bytes()
    assert b"\n" not in (export / "stores.csv").read_bytes()
    assert ",NA," in (export / "features.csv").read_text(encoding="utf-8")
    assert "tenant_key: [store, dept]" in (export / "fleet.yaml").read_text(encoding="utf-8")


def test_the_same_seed_writes_the_same_sales(
    export: Path, modelfleet_script: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    subprocess.run(
        [
            str(modelfleet_script),
            "demo-data",
            str(again),
            "--kind",
            "weekly-departments",
            "--stores",
            "3",
            "--departments",
            "4",
            "--seed",
            "1",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert (again / "sales.csv").read_bytes() == (export / "sales.csv").read_bytes()


def test_validate_data_on_the_department_fleet_cites_the_covariate_file(run: Run) -> None:
    result = run("validate", "fleet.yaml", "--data")
    assert "valid fleet spec 'weekly-departments'" in result.stdout, result.stderr
    assert "features.csv line" in result.stdout  # NA temperatures, cited where they are
    assert "days apart" not in result.stdout  # missing weeks are gaps, not another frequency


def test_validate_data_on_the_store_fleet_sums_departments(run: Run) -> None:
    result = run("validate", "fleet-stores.yaml", "--data")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 tenant(s) ready, 0 failing" in result.stdout
    assert "duplicates" not in result.stdout


def test_train_the_store_fleet_in_process(run: Run) -> None:
    result = run("train", "fleet-stores.yaml", "--workers", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    # Three stores of four departments are too few for a quality claim: that is measured on
    # the full-size export (docs/onboarding.md); here every tenant must train and be judged.
    assert "0 failed" in result.stdout and "3/3" in result.stdout
