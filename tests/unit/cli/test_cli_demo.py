"""``modelfleet demo-data``: writes a complete demo fleet, byte-for-byte reproducible by seed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

CliRunner = Callable[..., Any]
FILES = {
    "sales.csv",
    "stores.csv",
    "calendar.csv",
    "partner_berlin.csv",
    "partner_shop.parquet",
    "fleet.yaml",
}


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_demo_data_writes_the_data_files_and_a_spec(cli: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "demo"

    result = cli("demo-data", str(out), "--stores", "4", "--days", "150")

    assert result.exit_code == 0, result.output
    assert set(_contents(out)) == FILES
    assert "4 stores" in result.stdout and "fleet.yaml" in result.stdout


def test_same_seed_writes_identical_bytes(cli: CliRunner, tmp_path: Path) -> None:
    for name in ("a", "b"):
        cli("demo-data", str(tmp_path / name), "--stores", "4", "--days", "150", "--seed", "3")

    assert _contents(tmp_path / "a") == _contents(tmp_path / "b")


def test_another_seed_writes_other_sales(cli: CliRunner, tmp_path: Path) -> None:
    cli("demo-data", str(tmp_path / "a"), "--stores", "4", "--days", "150", "--seed", "3")
    cli("demo-data", str(tmp_path / "b"), "--stores", "4", "--days", "150", "--seed", "4")

    assert (tmp_path / "a" / "sales.csv").read_bytes() != (
        tmp_path / "b" / "sales.csv"
    ).read_bytes()


def test_demo_spec_validates_with_its_data(cli: CliRunner, tmp_path: Path) -> None:
    cli("demo-data", str(tmp_path / "demo"), "--stores", "4", "--days", "150")

    result = cli("validate", str(tmp_path / "demo" / "fleet.yaml"), "--data")

    assert result.exit_code == 0, result.output
    assert "4 tenant(s) ready, 0 failing" in result.stdout


def test_too_few_stores_is_a_usage_error(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("demo-data", str(tmp_path / "demo"), "--stores", "2")

    assert result.exit_code == 2
    assert "--stores" in result.stderr
    assert not (tmp_path / "demo").exists()
