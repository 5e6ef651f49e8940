"""The exception hierarchy: every message is safe to print, whoever built it."""

from __future__ import annotations

from modelfleet.errors import ModelfleetError, SourceError, StoreError


def test_a_password_in_a_message_is_redacted_whoever_wrote_it() -> None:
    error = StoreError("cannot reach postgresql://app:s3cret@db/prod (timeout)")
    assert str(error) == "cannot reach postgresql://app:***@db/prod (timeout)"


def test_control_characters_in_a_message_are_escaped() -> None:
    error = SourceError("bad cell \x1b[31mred\x00")
    assert error.message == "bad cell \\x1b[31mred\\x00"


def test_a_runaway_message_is_cut() -> None:
    error = ModelfleetError("row; " * 300_000)
    assert len(error.message) < 5_000 and "message cut at" in error.message
