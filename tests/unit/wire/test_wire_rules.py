"""The published text rules say exactly what the code refuses, and quote offenders briefly."""

from __future__ import annotations

from typing import Annotated

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from modelfleet.errors import UsageError
from modelfleet.registry.records import MetricFilter
from modelfleet.registry.refs import check_alias
from modelfleet.wire.rules import (
    ALIAS_RULE,
    METRIC_FILTER_RULE,
    TAG_FILTER_RULE,
    TENANT_RULE,
    TextRule,
    excerpt,
)

NAMEISH = st.text(st.sampled_from("abv09._-:@/ \n"), max_size=8)


def _alias_accepted_by_the_registry(value: str) -> bool:
    try:
        check_alias(value)
    except UsageError:
        return False
    return True


@settings(max_examples=300, derandomize=True)
@given(value=NAMEISH)
@example(value="0")
@example(value="1.2")
@example(value="v3")
@example(value="v")
@example(value="1.")
@example(value="prod")
def test_the_alias_rule_accepts_what_the_registry_accepts(value: str) -> None:
    # check_alias reads '$' as Python does (before a final newline); the rule never admits one.
    expected = _alias_accepted_by_the_registry(value) and not value.endswith("\n")

    assert ALIAS_RULE.matches(value) is expected


@settings(max_examples=300, derandomize=True)
@given(value=st.text(st.sampled_from("wmape.baseline_<>=0123456789+-eE. x"), max_size=16))
@example(value="wmape>0.3")
@example(value="baseline.mae<=12")
@example(value="wmape == 1e-3")
def test_a_metric_filter_the_rule_admits_always_parses(value: str) -> None:
    if METRIC_FILTER_RULE.matches(value):
        MetricFilter.parse(value)


@pytest.mark.parametrize("value", [".", "..", "", "a/b", "s1\n", "x" * 201])
def test_the_tenant_rule_refuses_path_steps_and_bad_ids(value: str) -> None:
    assert not TENANT_RULE.matches(value)


@pytest.mark.parametrize("value", ["s1", "...", ".hidden", "store-0001", "x" * 200])
def test_the_tenant_rule_accepts_spec_tenant_ids(value: str) -> None:
    assert TENANT_RULE.matches(value)


@pytest.mark.parametrize(("value", "ok"), [("customer:acme", True), ("k:", True), (":v", False)])
def test_a_tag_filter_needs_a_key_and_a_colon(value: str, ok: bool) -> None:
    assert TAG_FILTER_RULE.matches(value) is ok


def test_a_rule_is_the_pattern_of_the_json_schema() -> None:
    schema = TypeAdapter(Annotated[str, ALIAS_RULE]).json_schema()

    assert schema == {"type": "string", "pattern": ALIAS_RULE.pattern}


def test_a_refusal_quotes_a_short_escaped_excerpt() -> None:
    adapter = TypeAdapter(Annotated[str, TextRule(r"^[a-z]+$", "lowercase letters")])

    with pytest.raises(ValidationError) as caught:
        adapter.validate_python("\x1b[31m" + "X" * 500)

    message = caught.value.errors()[0]["msg"]
    assert "\\x1b" in message and "X" * 61 not in message
    assert message.endswith("is not lowercase letters")


def test_excerpt_keeps_short_printable_values_as_they_are() -> None:
    assert excerpt("prod") == "'prod'"
