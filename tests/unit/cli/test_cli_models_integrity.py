"""``models show`` and ``card`` refuse a version whose artifact was changed, cut short or lost."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.unit.api.seed import FLEET, Seeded, copy_seeded, run_id_for, seed_home

CliRunner = Callable[..., Any]
S1 = f"{FLEET}/s1"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """A seeded registry home whose versions' model artifacts are really stored."""
    return seed_home(tmp_path_factory.mktemp("integrity-cli"))


@pytest.fixture
def seeded(template: Seeded, tmp_path: Path) -> Seeded:
    """This test's own copy of the seeded home."""
    return copy_seeded(template, tmp_path / "copy")


@pytest.fixture
def s1_model(seeded: Seeded) -> Path:
    """The file holding s1 1.0.0's model artifact in the home's artifact store."""
    digest = hashlib.sha256(run_id_for("s1").encode()).hexdigest()
    path = Path(seeded.settings.artifacts_url) / digest[:2] / digest
    assert path.is_file()
    return path


def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[0] ^= 0x01
    path.write_bytes(bytes(data))


def test_show_of_an_intact_version_succeeds(cli: CliRunner, seeded: Seeded) -> None:
    assert cli("models", "show", f"{S1}@dev", home_dir=seeded.home).exit_code == 0


def test_show_refuses_a_version_whose_model_has_one_changed_byte(
    cli: CliRunner, seeded: Seeded, s1_model: Path
) -> None:
    _flip_one_byte(s1_model)
    result = cli("models", "show", f"{S1}@dev", home_dir=seeded.home)
    assert result.exit_code == 1
    assert "artifact checksum mismatch" in result.stderr
    assert f"model {S1} version 1.0.0: artifact 'model'" in result.stderr
    assert "is damaged" in result.stderr
    assert "modelfleet doctor" in result.stderr
    assert "Traceback" not in result.output


def test_show_refuses_a_version_whose_model_was_truncated(
    cli: CliRunner, seeded: Seeded, s1_model: Path
) -> None:
    s1_model.write_bytes(s1_model.read_bytes()[:5])
    result = cli("models", "show", f"{S1}:1.0.0", home_dir=seeded.home)
    assert result.exit_code == 1
    assert f"model {S1} version 1.0.0: artifact 'model'" in result.stderr


def test_show_refuses_a_version_whose_model_is_missing(
    cli: CliRunner, seeded: Seeded, s1_model: Path
) -> None:
    s1_model.unlink()
    result = cli("models", "show", f"{S1}@dev", home_dir=seeded.home)
    assert result.exit_code == 1
    assert "is missing from the artifact store" in result.stderr


def test_card_refuses_a_version_whose_model_has_one_changed_byte(
    cli: CliRunner, seeded: Seeded, s1_model: Path
) -> None:
    _flip_one_byte(s1_model)
    result = cli("card", f"{S1}@dev", home_dir=seeded.home)
    assert result.exit_code == 1
    assert f"model {S1} version 1.0.0: artifact 'model'" in result.stderr
    assert result.stdout == ""


def test_a_damaged_version_leaves_the_other_tenants_readable(
    cli: CliRunner, seeded: Seeded, s1_model: Path
) -> None:
    _flip_one_byte(s1_model)
    assert cli("models", "show", f"{FLEET}/s3@dev", home_dir=seeded.home).exit_code == 0
