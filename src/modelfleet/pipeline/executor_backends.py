"""Open an executor by name or URL: the one table mapping executor names to backends.

``process`` (the default; also ``process://`` and ``local``) is a local pool of worker
processes, ``inline`` (also ``inline://``) runs tenants one after another in this process.
``MODELFLEET_EXECUTOR`` or ``modelfleet train --executor`` picks one, so moving a fleet to a
cluster backend is a settings change. A worker count of 0 still means inline, as it always has.
"""

from __future__ import annotations

from collections.abc import Callable

from modelfleet.config.settings import DEFAULT_EXECUTOR
from modelfleet.errors import ConfigError
from modelfleet.pipeline.executors import Executor, InlineExecutor, make_executor


def _open_inline(workers: int) -> Executor:
    return InlineExecutor()


def _open_process(workers: int) -> Executor:
    return make_executor(workers)  # 0 workers: inline, for --workers 0


BACKENDS: dict[str, Callable[[int], Executor]] = {
    "inline": _open_inline,
    "local": _open_process,
    "process": _open_process,
}

# Names reserved for backends not built yet, with what they wait for.
PLANNED: dict[str, str] = {"ray": "needs the scale-out issue (a Ray cluster backend)"}


def known_executors() -> str:
    """The executor names this build accepts, then the planned ones, for error messages."""
    planned = "; ".join(f"{name} {why}" for name, why in sorted(PLANNED.items()))
    return f"{', '.join(sorted(BACKENDS))} (planned: {planned})"


def open_executor(name_or_url: str, *, workers: int) -> Executor:
    """Return the executor named by ``name_or_url`` (a name, or ``name://``) for ``workers``.

    Only the name (the URL scheme) chooses the backend; local backends take no address after
    ``://``. An unknown or planned name raises ConfigError listing the known ones.
    """
    text = name_or_url.strip()
    name, _, address = (text or DEFAULT_EXECUTOR).partition("://")
    name = name.lower()
    factory = BACKENDS.get(name)
    if factory is None:
        state = "is not available yet" if name in PLANNED else "is unknown"
        raise ConfigError(
            f"executor {name!r} {state}; set MODELFLEET_EXECUTOR or --executor to one of: "
            f"{known_executors()}"
        )
    if address:
        raise ConfigError(
            f"executor {text!r}: the {name} executor takes no address after '://'; write "
            f"{name!r} (the worker count comes from --workers or MODELFLEET_WORKERS)"
        )
    return factory(workers)
