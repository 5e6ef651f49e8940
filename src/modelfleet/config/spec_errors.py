"""How fleet-spec errors are worded: pydantic's errors as short lines, repeated names listed.

Split from spec.py: the spec's model says what is valid, this module how a refusal reads.
Everything quoted comes from the user's file, so it goes through :mod:`modelfleet.quoting`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import ValidationError

from modelfleet.quoting import excerpt, name_list

_MAX_ERRORS = 20  # lines of a spec's validation errors shown; the rest are counted


def format_errors(exc: ValidationError, origin: str | None) -> str:
    """One line per pydantic error, keys and messages excerpted, at most _MAX_ERRORS lines.

    Keys come from the file (an unknown key may be anything) and validators' messages may quote
    the value, so both are cut short and escaped; a spec with thousands of errors lists a few.
    """
    errors = exc.errors()
    lines = []
    for error in errors[:_MAX_ERRORS]:
        loc = ".".join(excerpt(p, quoted=False) for p in error["loc"]) or "(top level)"
        if origin:
            loc = f"{origin}.{loc}"
        message = excerpt(error["msg"], 300, quoted=False)
        if error["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; unknown keys are not ignored)"
        elif error["type"] == "missing":
            message = "required field is missing"
        lines.append(f"  - {loc}: {message}")
    if len(errors) > _MAX_ERRORS:
        lines.append(f"  - … and {len(errors) - _MAX_ERRORS:,} more")
    return "\n".join(lines)


def repeated(values: Sequence[str]) -> str:
    """The values that occur more than once, listed briefly (counted once, not quadratically)."""
    counts = Counter(values)
    return (
        name_list(sorted(v for v, c in counts.items() if c > 1))
        if len(counts) < len(values)
        else ""
    )
