"""API tokens: random, shown once, stored only as a hash, compared in constant time.

A token reads ``mf_<id>_<secret>``: ``id`` (12 hex characters) finds its record, ``secret`` (32
random bytes, URL-safe base64) proves it. Only the SHA-256 of the secret is stored; a high-
entropy secret needs no salt or slow hash (as with GitHub's or Stripe's API keys), and the
comparison is :func:`hmac.compare_digest`, so timing says nothing about how much matched.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Final

from modelfleet.errors import UsageError

PREFIX: Final = "mf_"
_SHAPE = re.compile(r"^mf_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class NewToken:
    """A token just made: the text to hand over once, and what is stored of it."""

    token_id: str
    text: str
    secret_hash: str


def new_token() -> NewToken:
    """A fresh random token."""
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return NewToken(token_id, f"{PREFIX}{token_id}_{secret}", hash_secret(secret))


def hash_secret(secret: str) -> str:
    """The stored form of a token's secret."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def parse_token(text: str) -> tuple[str, str]:
    """(id, secret) of a token's text; UsageError (never echoing it) when it is malformed."""
    match = _SHAPE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise UsageError("malformed token: a modelfleet token reads mf_<12 hex>_<43 characters>")
    return match.group(1), match.group(2)


def secret_matches(secret: str, stored_hash: str) -> bool:
    """Whether ``secret`` is the one ``stored_hash`` was made from, in constant time."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)
