"""Lineage: code version from git, installed package versions, canonical config hashes."""

from __future__ import annotations

import platform
import re
import subprocess
from pathlib import Path

import pytest

from modelfleet.tracking.lineage import code_version, config_hash, package_versions

GIT_IDENTITY = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *GIT_IDENTITY, "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repo with one committed file."""
    path = tmp_path / "repo"
    path.mkdir()
    _git(path, "init", "-q")
    (path / "fleet.yaml").write_text("fleet: demand\n")
    _git(path, "add", "fleet.yaml")
    _git(path, "commit", "-q", "-m", "first")
    return path


def test_code_version_is_the_commit_of_a_clean_repo(repo: Path) -> None:
    version = code_version(repo)

    assert version is not None
    assert re.fullmatch(r"[0-9a-f]{40}", version)


def test_code_version_is_marked_dirty_when_tracked_files_changed(repo: Path) -> None:
    (repo / "fleet.yaml").write_text("fleet: churn\n")

    version = code_version(repo)

    assert version is not None
    assert version.endswith("-dirty")


def test_untracked_files_do_not_make_the_code_version_dirty(repo: Path) -> None:
    (repo / "notes.txt").write_text("scratch")

    assert not str(code_version(repo)).endswith("-dirty")


def test_code_version_of_a_file_uses_its_folder(repo: Path) -> None:
    assert code_version(repo / "fleet.yaml") == code_version(repo)


def test_code_version_outside_a_git_repo_is_none(tmp_path: Path) -> None:
    outside = tmp_path / "plain"
    outside.mkdir()

    assert code_version(outside) is None


def test_code_version_without_git_installed_is_none(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(*_args: object, **_kwargs: object) -> None:
        raise FileNotFoundError("git")

    monkeypatch.setattr(subprocess, "run", missing)

    assert code_version(repo) is None


def test_package_versions_include_python_and_installed_packages() -> None:
    versions = package_versions()

    assert versions["python"] == platform.python_version()
    assert "numpy" in versions
    assert "modelfleet" in versions


def test_package_versions_leave_out_packages_that_are_not_installed() -> None:
    assert package_versions(["numpy", "no-such-package-xyz"]).keys() == {"numpy"}


def test_config_hash_ignores_key_order() -> None:
    first = config_hash({"a": 1, "b": {"x": [1, 2], "y": None}})
    second = config_hash({"b": {"y": None, "x": [1, 2]}, "a": 1})

    assert first == second
    assert re.fullmatch(r"[0-9a-f]{64}", first)


def test_config_hash_changes_when_a_value_changes() -> None:
    assert config_hash({"a": 1}) != config_hash({"a": 2})


def test_config_hash_accepts_paths_as_posix_text() -> None:
    assert config_hash({"source": Path("data/x.csv")}) == config_hash({"source": "data/x.csv"})


def test_config_hash_refuses_values_it_cannot_make_canonical() -> None:
    with pytest.raises(TypeError, match="cannot hash a config value of type object"):
        config_hash({"x": object()})
