"""Semantic versions of models and the rules that number them (pure functions).

MAJOR changes when the input signature changes (callers must send different inputs), MINOR for
a retrain on the same signature, PATCH for a metadata-only change of an existing version.
Numbers are never reused: the rules take every version a model *ever* had, deleted ones too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from modelfleet.errors import UsageError

_SEMVER = re.compile(r"^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$")


@dataclass(frozen=True, order=True)
class SemVer:
    """A version number ``major.minor.patch``; orders numerically (1.10.0 > 1.9.0)."""

    major: int
    minor: int
    patch: int

    def __post_init__(self) -> None:
        if min(self.major, self.minor, self.patch) < 0:
            raise UsageError(f"version {self} has a negative part; parts are 0 or more")

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    @classmethod
    def parse(cls, text: str) -> SemVer:
        """Parse ``"1.2.0"``; UsageError naming the expected form otherwise."""
        match = _SEMVER.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise UsageError(
                f"{text!r} is not a version: write MAJOR.MINOR.PATCH, e.g. 1.2.0 "
                "(no 'v' prefix, no leading zeros)"
            )
        return cls(int(match[1]), int(match[2]), int(match[3]))

    @classmethod
    def of(cls, value: SemVer | str) -> SemVer:
        """Accept a SemVer or its text, as every public registry method does."""
        return value if isinstance(value, SemVer) else cls.parse(value)

    @property
    def key(self) -> tuple[int, int, int]:
        """``(major, minor, patch)``: how the store keys a version."""
        return (self.major, self.minor, self.patch)


FIRST = SemVer(1, 0, 0)


def next_registered(existing: Iterable[SemVer], *, signature_changed: bool) -> SemVer:
    """The number of a newly registered version: 1.0.0, then MAJOR or MINOR past the highest."""
    highest = max(existing, default=None)
    if highest is None:
        return FIRST
    if signature_changed:
        return SemVer(highest.major + 1, 0, 0)
    return SemVer(highest.major, highest.minor + 1, 0)


def next_patch(existing: Iterable[SemVer], base: SemVer) -> SemVer:
    """The number of a metadata-only change of ``base``: PATCH past every ``major.minor.*``."""
    patches = [v.patch for v in existing if (v.major, v.minor) == (base.major, base.minor)]
    return SemVer(base.major, base.minor, max([base.patch, *patches]) + 1)
