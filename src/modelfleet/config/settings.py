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

from modelfleet.crypto import keyring_from_env
from modelfleet.errors import ConfigError

ENV_PREFIX = "MODELFLEET_"
DEFAULT_EXECUTOR = "process"
# SQLite durability: "full" (default) makes every commit survive power loss; "normal" saves an
# fsync per commit and may lose the last commits on power loss (WAL: never a corrupt file).
SQLITE_SYNCHRONOUS_LEVELS = ("full", "normal")


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
    # MODELFLEET_SQLITE_SYNCHRONOUS; carried to the store as the SQLite URL's ?synchronous=.
    sqlite_synchronous: str = "full"
    # MODELFLEET_ENCRYPTION_KEYS / _KEY_FILE, checked here so a bad key fails at the edge with
    # the setting named; ids only (the current one first), keys never sit in settings. The
    # stores read the keyring from the process environment (modelfleet.crypto.process_keyring).
    encryption_key_ids: tuple[str, ...] = ()
    # MODELFLEET_AUTH=on: the servers ask every request for a token and check its grants.
    auth: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str], cwd: Path | None = None) -> Settings:
        """Build settings from ``MODELFLEET_*`` variables; unset ones default under the home."""
        base = cwd or Path.cwd()
        home = Path(env.get(f"{ENV_PREFIX}HOME", ".modelfleet")).expanduser()
        if not home.is_absolute():
            home = (base / home).resolve()
        workers_text = env.get(f"{ENV_PREFIX}WORKERS", "")
        synchronous = parse_sqlite_synchronous(env.get(f"{ENV_PREFIX}SQLITE_SYNCHRONOUS", ""))
        store_url = env.get(f"{ENV_PREFIX}STORE_URL") or default_store_url(home)
        keyring = keyring_from_env(env)
        return cls(
            home=home,
            store_url=with_sqlite_synchronous(store_url, synchronous),
            artifacts_url=env.get(f"{ENV_PREFIX}ARTIFACTS_URL") or str(home / "artifacts"),
            workers=parse_workers(workers_text, source=f"{ENV_PREFIX}WORKERS"),
            online_url=env.get(f"{ENV_PREFIX}ONLINE_URL") or default_online_url(home),
            executor=parse_executor(env.get(f"{ENV_PREFIX}EXECUTOR", "")),
            sqlite_synchronous=synchronous,
            encryption_key_ids=keyring.key_ids if keyring is not None else (),
            auth=parse_auth(env.get(f"{ENV_PREFIX}AUTH", "")),
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
            store_url=(
                with_sqlite_synchronous(store_url, self.sqlite_synchronous)
                if store_url
                else self.store_url
            ),
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


def parse_sqlite_synchronous(text: str) -> str:
    """``full`` or ``normal`` from MODELFLEET_SQLITE_SYNCHRONOUS; empty means ``full``."""
    value = text.strip().lower() or "full"
    if value not in SQLITE_SYNCHRONOUS_LEVELS:
        raise ConfigError(
            f"{ENV_PREFIX}SQLITE_SYNCHRONOUS={text!r}: use full (default; every acknowledged "
            "write survives power loss) or normal (faster commits; a power loss may undo the "
            "last ones, never corrupting the store)"
        )
    return value


def with_sqlite_synchronous(store_url: str, level: str) -> str:
    """``store_url`` asking for ``level`` when it is a SQLite URL that does not choose one.

    FULL is the store's own default, so it leaves the URL as written; a level already in the
    URL wins over the variable (the more specific setting).
    """
    if level == "full" or not store_url.startswith("sqlite") or "synchronous=" in store_url:
        return store_url
    return f"{store_url}{'&' if '?' in store_url else '?'}synchronous={level}"


def parse_auth(text: str) -> bool:
    """MODELFLEET_AUTH: on (servers need tokens) or off (the default: local mode's trust)."""
    value = text.strip().lower()
    if value in ("", "off", "false", "0", "no"):
        return False
    if value in ("on", "true", "1", "yes"):
        return True
    raise ConfigError(
        f"{ENV_PREFIX}AUTH={text[:40]!r}: use on (every server request needs a token, checked "
        "against its grants) or off (the default)"
    )


def parse_executor(text: str) -> str:
    """An executor name or URL as given, trimmed; empty means the default (``process``)."""
    return text.strip() or DEFAULT_EXECUTOR
