"""SIGTERM stops a command the way Ctrl-C does: whole records kept, the run marked interrupted.

Python's default for SIGTERM is to die on the spot, which would leave a fleet run ``running``
and workers without their parent. The console script instead raises :class:`Terminated` (a
``KeyboardInterrupt``) in the main thread, so the runner's Ctrl-C path runs unchanged; the
command then exits 143 (128 + SIGTERM) instead of 130.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Final

EXIT_INTERRUPTED: Final = 130  # 128 + SIGINT
EXIT_TERMINATED: Final = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM)."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def stop_on_sigterm() -> None:
    """From now on, SIGTERM raises :class:`Terminated` in the main thread."""
    signal.signal(signal.SIGTERM, _raise_terminated)


def exit_code(interrupt: KeyboardInterrupt) -> int:
    """The exit code for a stop: 143 for SIGTERM, 130 for Ctrl-C."""
    return EXIT_TERMINATED if isinstance(interrupt, Terminated) else EXIT_INTERRUPTED


def stop_message(interrupt: KeyboardInterrupt) -> str:
    """What to tell the user after a stop."""
    what = "terminated" if isinstance(interrupt, Terminated) else "interrupted"
    return f"{what}: finished tenants are saved; run the same command to resume"
