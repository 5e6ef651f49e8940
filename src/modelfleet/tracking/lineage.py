"""Lineage facts recorded with every run: code version, package versions, config hash."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from importlib import metadata
from pathlib import Path, PurePath
from typing import Any, Final

DEFAULT_PACKAGES: Final = (
    "lightgbm",
    "scikit-learn",
    "numpy",
    "pyarrow",
    "duckdb",
    "modelfleet",
    "python",
)
GIT_TIMEOUT_SECONDS: Final = 5.0


def code_version(start: Path) -> str | None:
    """The git commit of the repo holding ``start``, suffixed ``-dirty`` if files changed.

    None when ``start`` is not in a git work tree, the repo has no commit yet, or git is not
    installed: a missing code version must never stop a fleet run.
    """
    directory = start if start.is_dir() else start.parent
    commit = _git(directory, "rev-parse", "--verify", "HEAD")
    if not commit:
        return None
    # --no-optional-locks: many workers may ask at once; status must not take index.lock.
    # Untracked files are ignored, as `git describe --dirty` does.
    changes = _git(
        directory, "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"
    )
    if changes is None:
        return None
    return f"{commit}-dirty" if changes else commit


def _git(directory: Path, *args: str) -> str | None:
    """Stdout of one git command run in ``directory``, or None if it failed."""
    try:
        completed = subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0:
        return None
    return completed.stdout.strip()


def package_versions(names: Sequence[str] = DEFAULT_PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` ("python" is the interpreter); absent ones are left out."""
    versions: dict[str, str] = {}
    for name in names:
        if name == "python":
            versions[name] = platform.python_version()
            continue
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def config_hash(payload: Mapping[str, Any]) -> str:
    """sha256 hex of ``payload`` as canonical JSON, so equal configs hash equal anywhere."""
    text = json.dumps(
        payload,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_canonical,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical(value: object) -> object:
    """JSON form of the few non-JSON types configs hold; anything else is an error."""
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(f"cannot hash a config value of type {type(value).__name__}: {value!r}")
