"""Quoting input in messages: excerpts are short and escaped, URLs lose their secrets."""

from __future__ import annotations

import pytest

from modelfleet.quoting import (
    excerpt,
    listing,
    name_list,
    redact_text,
    redact_url,
    safe_message,
)


def test_a_short_value_is_quoted_whole() -> None:
    assert excerpt("store 12") == "'store 12'"


def test_a_long_value_is_cut_with_an_ellipsis_and_its_full_length() -> None:
    assert excerpt("x" * 1234, 10) == "'xxxxxxxxxx…' (1,234 chars)"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("a\nb", "'a\\nb'"),
        ("a\r\tb", "'a\\r\\tb'"),
        ("nul\x00", "'nul\\x00'"),
        ("\x1b[31mred", "'\\x1b[31mred'"),
        ("zero\u200bwidth", "'zero\\u200bwidth'"),
        ("it's", "'it\\'s'"),
        ("back\\slash", "'back\\\\slash'"),
    ],
)
def test_control_and_invisible_characters_are_escaped(value: str, shown: str) -> None:
    assert excerpt(value) == shown


def test_escapes_count_against_the_limit() -> None:
    shown = excerpt("\x00" * 10_000, 20)
    assert shown == "'" + "\\x00" * 5 + "…' (10,000 chars)"


def test_a_ten_megabyte_value_costs_the_message_the_limit_only() -> None:
    shown = excerpt("y" * 10_000_000)
    assert len(shown) < 100 and shown.endswith("(10,000,000 chars)")


def test_undecodable_bytes_are_shown_as_byte_escapes_and_counted_in_bytes() -> None:
    assert excerpt(b"ok\xff\xfe") == "'ok\\xff\\xfe'"
    assert excerpt(b"\x00" * 100, 8).endswith("(100 bytes)")


def test_unquoted_excerpts_escape_but_add_no_quotes() -> None:
    assert excerpt("line one\nline two", quoted=False) == "line one\\nline two"


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("postgresql://app:s3cret@db:5432/prod", "postgresql://app:***@db:5432/prod"),
        ("postgresql://app:p@ss/w@rd@db/prod", "postgresql://app:***@db/prod"),
        ("redis://:hunter2@cache:6379/0", "redis://:***@cache:6379/0"),
        (
            "postgresql://db/prod?sslmode=require&password=s3cret",
            "postgresql://db/prod?sslmode=require&password=***",
        ),
        (
            "https://bucket.example/k?X-Amz-Signature=abc123&X-Amz-Credential=AK%2Fx&v=1",
            "https://bucket.example/k?X-Amz-Signature=***&X-Amz-Credential=***&v=1",
        ),
        ("https://acct.example/c?sv=2020&sig=abc123", "https://acct.example/c?sv=2020&sig=***"),
        (
            "https://api.example/x?api_key=abc&token=def",
            "https://api.example/x?api_key=***&token=***",
        ),
        (
            "https://app.example/cb#access_token=abc&state=1",
            "https://app.example/cb#access_token=***&state=1",
        ),
        ("https://ghp_0123456789abcdefghij@github.com/o/r", "https://***@github.com/o/r"),
    ],
)
def test_redact_url_removes_passwords_tokens_and_signatures(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted


@pytest.mark.parametrize(
    "url",
    ["sqlite:///tmp/a.db", "postgresql://alice@db/prod?sslmode=require", "not a url at all"],
)
def test_redact_url_leaves_urls_without_secrets_as_they_are(url: str) -> None:
    assert redact_url(url) == url


def test_redact_text_redacts_every_url_inside_a_message() -> None:
    text = "connect to 'postgresql://u:pw1@h/db' failed; retry redis://:pw2@r:1/0 later"
    assert redact_text(text) == (
        "connect to 'postgresql://u:***@h/db' failed; retry redis://:***@r:1/0 later"
    )


def test_listing_shows_the_first_few_and_counts_the_rest() -> None:
    assert listing(["a", "b", "c"], 15_227, limit=2) == "a; b … and 15,225 more"


def test_listing_excerpts_each_item() -> None:
    assert listing(["z" * 500], each=5) == "zzzzz… (500 chars)"


def test_name_list_brackets_and_quotes_names() -> None:
    assert name_list(["a", "b\n"]) == "['a', 'b\\n']"


def test_safe_message_keeps_newlines_and_escapes_other_control_characters() -> None:
    assert safe_message("first\nsecond\x1b[2J\r") == "first\nsecond\\x1b[2J\\r"


def test_safe_message_cuts_a_runaway_message_and_says_so() -> None:
    message = safe_message("m" * 50_000, limit=100)
    assert message.endswith("(message cut at 100 of 50,000 chars)")
    assert len(message) < 150
