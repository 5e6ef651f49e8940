"""Text rules that the OpenAPI document publishes and the server checks, from one pattern each.

A rule the server enforces but the schema does not state makes a schema-valid request fail
(an alias ``0`` is refused because it reads like a version). Some of these rules need a
negative lookahead, which pydantic's default (Rust) regex engine does not support; a
:class:`TextRule` therefore checks the value with Python's ``re.fullmatch`` and writes the very
same pattern into the JSON Schema, so the document and the check cannot drift apart.

Patterns are plain ASCII classes (no ``\\s``, no ``\\d``) so they mean the same thing to a
JSON Schema (ECMA-262) reader and to Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from modelfleet.config.blocks import NAME_PATTERN
from modelfleet.registry.refs import VERSION_LIKE
from modelfleet.tenant_ids import PATTERN as TENANT_ID_PATTERN
from modelfleet.tenant_ids import RULE as TENANT_ID_RULE

EXCERPT = 60  # characters of an offending value quoted back in an error


def _body(pattern: str) -> str:
    """A pattern without its ``^`` anchor, to compose (its ``$`` stays: whole-string rules)."""
    return pattern.removeprefix("^")


# An alias follows the spec's name rule and must not read like a version (registry/refs.py's
# check_alias refuses "0", "1.2", "v3"): one pattern says both.
ALIAS_RULE_PATTERN: Final = f"^(?!{_body(VERSION_LIKE.pattern)}){_body(NAME_PATTERN.pattern)}"
# A tenant id follows the one rule of modelfleet.tenant_ids (not "." or "..", ASCII, bounded).
TENANT_RULE_PATTERN: Final = TENANT_ID_PATTERN
# A tag filter is KEY:VALUE with a non-empty key (the value may be empty or hold colons).
TAG_FILTER_PATTERN: Final = r"^[^:]+:"
# A metric filter: [candidate.|baseline.]METRIC OP NUMBER, spaces allowed around the operator.
METRIC_FILTER_PATTERN: Final = (
    r"^ *(?:(?:candidate|baseline)\.)?[A-Za-z_][A-Za-z0-9_]* *(?:<=|>=|<|>|==|=) *"
    r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)? *$"
)


def excerpt(value: str) -> str:
    """At most :data:`EXCERPT` characters of ``value``, quoted, control characters escaped."""
    short = value[:EXCERPT] + ("..." if len(value) > EXCERPT else "")
    return ascii(short) if any(not c.isprintable() for c in short) else repr(short)


@dataclass(frozen=True)
class TextRule:
    """``Annotated[str, TextRule(pattern, hint)]``: checked by ``re``, published as ``pattern``.

    ``hint`` finishes the sentence "VALUE is not ...", e.g. "a valid alias: ...".
    """

    pattern: str
    hint: str
    _compiled: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", re.compile(self.pattern))

    def matches(self, value: str) -> bool:
        """Whether ``value`` follows the rule, read as JSON Schema reads ``pattern``.

        JSON Schema searches (``re.search``); a pattern ending in ``$`` must reach the end of
        the text, which Python's ``$`` does not ensure (it also matches before a final
        newline), so such a pattern is matched whole.
        """
        if self.pattern.endswith("$"):
            return self._compiled.fullmatch(value) is not None
        return self._compiled.search(value) is not None

    def check(self, value: str) -> str:
        """``value`` if it follows the rule; ValueError naming it (an excerpt) otherwise."""
        if not self.matches(value):
            raise ValueError(f"{excerpt(value)} is not {self.hint}")
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema


ALIAS_RULE: Final = TextRule(
    ALIAS_RULE_PATTERN,
    "a valid alias: start with a letter or digit, then letters, digits, '.', '_' or '-', and "
    "do not look like a version number (e.g. prod, staging, champion)",
)
TENANT_RULE: Final = TextRule(
    TENANT_RULE_PATTERN,
    f"a tenant id: {TENANT_ID_RULE}",
)
TAG_FILTER_RULE: Final = TextRule(
    TAG_FILTER_PATTERN, "a tag filter: write KEY:VALUE, e.g. customer:acme"
)
METRIC_FILTER_RULE: Final = TextRule(
    METRIC_FILTER_PATTERN,
    "a metric filter: write METRIC OP NUMBER, e.g. wmape>0.3 or baseline.mae<=12 "
    "(OP is one of < <= > >= =)",
)
