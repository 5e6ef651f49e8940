"""API tokens: random, one shape, only a hash kept, the secret compared in constant time."""

from __future__ import annotations

import pytest

from modelfleet.errors import UsageError
from modelfleet.governance.tokens import hash_secret, new_token, parse_token, secret_matches


def test_a_new_token_parses_back_to_its_id_and_a_secret_matching_its_hash() -> None:
    made = new_token()

    token_id, secret = parse_token(made.text)

    assert token_id == made.token_id and secret_matches(secret, made.secret_hash)
    assert secret not in made.secret_hash and made.text not in made.secret_hash


def test_two_tokens_never_share_id_or_secret() -> None:
    made = [new_token() for _ in range(200)]

    assert len({m.token_id for m in made}) == len({m.text for m in made}) == 200


def test_another_secret_does_not_match() -> None:
    made = new_token()
    _, secret = parse_token(new_token().text)

    assert not secret_matches(secret, made.secret_hash)


def test_the_stored_hash_is_the_secrets_sha256() -> None:
    assert hash_secret("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


@pytest.mark.parametrize(
    "text",
    ["", "mf_", "Bearer x", "mf_123_abc", "mf_zzzzzzzzzzzz_" + "a" * 43, "x" * 10_000, "mf_\x00"],
)
def test_a_malformed_token_is_refused_without_echoing_it(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_token(text)

    assert "mf_<12 hex>" in str(caught.value) and (len(text) < 5 or text not in str(caught.value))
