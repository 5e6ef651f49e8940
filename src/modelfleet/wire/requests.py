"""Request bodies of the write endpoints: strict, unknown fields refused, sizes bounded.

No body names an actor: the server records the caller it derived itself (a body with an
``actor`` field is refused as an unknown field). ``reason`` is free text shown in history and
model cards.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, WithJsonSchema, model_validator

from modelfleet.config.serving_blocks import RoutingMode
from modelfleet.wire.base import In
from modelfleet.wire.rules import ALIAS_RULE

SEMVER = r"^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$"
TAG_KEY = r"^[A-Za-z0-9_][A-Za-z0-9_.\-/]{0,99}$"

Environment = Annotated[
    str,
    ALIAS_RULE,
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
MAX_TAGS = 100
# Pydantic documents key rules as patternProperties, which leaves every other key open in JSON
# Schema; propertyNames says what the validator enforces: every key follows TAG_KEY.
Tags = Annotated[
    dict[TagKey, TagValue],
    Field(max_length=MAX_TAGS),
    WithJsonSchema(
        {
            "type": "object",
            "propertyNames": {"pattern": TAG_KEY},
            "additionalProperties": {"type": "string", "maxLength": 500},
            "maxProperties": MAX_TAGS,
        }
    ),
]


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

    tags: Tags = Field(default_factory=dict)
    description: Annotated[str, StringConstraints(max_length=10_000)] = ""


class MetadataPatchIn(In):
    """Change a version's tags and/or description: a new PATCH version records it."""

    # The schema says what the validator below refuses: at least one of the two, not null.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["tags"], "properties": {"tags": {"type": "object"}}},
                {"required": ["description"], "properties": {"description": {"type": "string"}}},
            ]
        }
    )

    tags: Tags | None = Field(
        default=None, description="tags to set (merged over the current ones)"
    )
    description: Annotated[str, StringConstraints(max_length=10_000)] | None = None
    reason: Reason = ""

    @model_validator(mode="after")
    def _something(self) -> MetadataPatchIn:
        if self.tags is None and self.description is None:
            raise ValueError("give tags and/or description to change")
        return self


class TrafficIn(In):
    """Route a tenant's requests in an environment (replaces the spec's routing until cleared)."""

    mode: Annotated[RoutingMode, Field(description="champion, ab, canary or shadow")]
    share: Annotated[float, Field(ge=0.0, le=1.0)] | None = Field(
        default=None, description="share of requests the challenger answers (ab, canary)"
    )
    challenger: Annotated[str, ALIAS_RULE] = "challenger"
    reason: Reason = ""
