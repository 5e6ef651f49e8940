"""Request bodies of the write endpoints: strict, unknown fields refused, sizes bounded.

No body names an actor: the server records the caller it derived itself (a body with an
``actor`` field is refused as an unknown field). ``reason`` is free text shown in history and
model cards.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from modelfleet.registry.refs import ALIAS_PATTERN
from modelfleet.wire.base import In

SEMVER = r"^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$"
TAG_KEY = r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]{0,99}$"

Environment = Annotated[
    str,
    StringConstraints(pattern=ALIAS_PATTERN.pattern),
    Field(description="environment (an alias), e.g. staging or prod"),
]
Version = Annotated[
    str, StringConstraints(pattern=SEMVER), Field(description="semantic version, e.g. 1.2.0")
]
Reason = Annotated[
    str, StringConstraints(max_length=2000), Field(description="why, for the history")
]
TagKey = Annotated[str, StringConstraints(pattern=TAG_KEY)]
TagValue = Annotated[str, StringConstraints(max_length=500)]


class PromoteIn(In):
    """Promote one model's version (default: its newest candidate) into an environment."""

    environment: Environment
    version: Version | None = None
    reason: Reason = ""


class FleetPromoteIn(In):
    """Promote every model of a fleet whose candidate passes the policy."""

    environment: Environment
    reason: Reason = ""


class ApproveIn(In):
    """A human approval of one version for one environment."""

    version: Version
    environment: Environment
    reason: Reason = ""


class RollbackIn(In):
    """Restore the version an environment held before its last move."""

    environment: Environment
    reason: Reason = ""


class WriteIn(In):
    """A write that needs nothing but why (archive, remove an alias, delete a version)."""

    reason: Reason = ""


class BatchRollbackIn(In):
    """Undo every alias move of one fleet promotion batch."""

    reason: Reason = ""
    skip_moved: bool = Field(
        default=False,
        description="undo the other moves when some aliases moved again since (default: "
        "undo nothing and answer 409 naming them)",
    )


class AliasIn(In):
    """Point an alias (champion, challenger, an environment) at a version; no policy asked."""

    version: Version
    reason: Reason = ""


class RegisterIn(In):
    """Register a succeeded run as a candidate version (its signature from its metadata)."""

    tags: dict[TagKey, TagValue] = Field(default_factory=dict, max_length=100)
    description: Annotated[str, StringConstraints(max_length=10_000)] = ""


class MetadataPatchIn(In):
    """Change a version's tags and/or description: a new PATCH version records it."""

    tags: dict[TagKey, TagValue] | None = Field(
        default=None, max_length=100, description="tags to set (merged over the current ones)"
    )
    description: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    reason: Reason = ""

    @model_validator(mode="after")
    def _something(self) -> MetadataPatchIn:
        if self.tags is None and self.description is None:
            raise ValueError("give tags and/or description to change")
        return self
