"""Where modelfleet keeps things, built once at the edge (CLI, app factory) and passed down.

Library code never reads ``os.environ``; :meth:`Settings.from_env` is called by the faces with the
process environment. Every location defaults to a folder under ``MODELFLEET_HOME``
(``./.modelfleet``) so the embedded mode needs no setup; URLs move a part to a real engine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from modelfleet.errors import ConfigError

ENV_PREFIX = "MODELFLEET_"
DEFAULT_EXECUTOR = "process"


@dataclass(frozen=True)
class Settings:
    """Locations and limits for one modelfleet installation."""

    home: Path
    store_url: str
    artifacts_url: str
    workers: int
    online_url: str = ""
    # Which executor trains tenants, by name or URL (see pipeline.executor_backends); the
    # name is checked when the executor is opened, since config sits below the pipeline.
    executor: str = DEFAULT_EXECUTOR

    @classmethod
    def from_env(cls, env: Mapping[str, str], cwd: Path | None = None) -> Settings:
        """Build settings from ``MODELFLEET_*`` variables; unset ones default under the home."""
        base = cwd or Path.cwd()
        home = Path(env.get(f"{ENV_PREFIX}HOME", ".modelfleet")).expanduser()
        if not home.is_absolute():
            home = (base / home).resolve()
        workers_text = env.get(f"{ENV_PREFIX}WORKERS", "")
        return cls(
            home=home,
            store_url=env.get(f"{ENV_PREFIX}STORE_URL") or default_store_url(home),
            artifacts_url=env.get(f"{ENV_PREFIX}ARTIFACTS_URL") or str(home / "artifacts"),
            workers=parse_workers(workers_text, source=f"{ENV_PREFIX}WORKERS"),
            online_url=env.get(f"{ENV_PREFIX}ONLINE_URL") or default_online_url(home),
            executor=parse_executor(env.get(f"{ENV_PREFIX}EXECUTOR", "")),
        )

    @classmethod
    def for_home(cls, home: Path | str) -> Settings:
        """Settings with every location under ``home`` (handy for tests and scripts)."""
        return cls.from_env({f"{ENV_PREFIX}HOME": str(home)})

    def with_overrides(
        self,
        *,
        store_url: str | None = None,
        artifacts_url: str | None = None,
        workers: int | None = None,
        online_url: str | None = None,
        executor: str | None = None,
    ) -> Settings:
        """A copy with the given fields replaced (CLI flags win over the environment)."""
        return replace(
            self,
            store_url=store_url or self.store_url,
            artifacts_url=artifacts_url or self.artifacts_url,
            workers=workers if workers is not None else self.workers,
            online_url=online_url or self.online_url,
            executor=parse_executor(executor) if executor else self.executor,
        )


def default_store_url(home: Path) -> str:
    """The embedded metadata store: one SQLite file in the home folder."""
    return f"sqlite:///{home / 'modelfleet.db'}"


def default_online_url(home: Path) -> str:
    """The embedded online feature store: one SQLite file in the home folder."""
    return f"sqlite:///{home / 'online.db'}"


def parse_workers(text: str, *, source: str) -> int:
    """Parse a worker count; empty means one worker per CPU core."""
    if not text.strip():
        return os.cpu_count() or 1
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(
            f"{source}={text!r} is not a whole number: set it to the number of worker processes"
        ) from None
    if value < 1:
        raise ConfigError(f"{source}={value} must be at least 1")
    return value


def parse_executor(text: str) -> str:
    """An executor name or URL as given, trimmed; empty means the default (``process``)."""
    return text.strip() or DEFAULT_EXECUTOR
