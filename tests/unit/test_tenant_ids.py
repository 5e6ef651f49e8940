"""The one tenant-id rule: what it accepts, what it refuses and why, the same in every engine."""

from __future__ import annotations

import duckdb
import pytest

from modelfleet.errors import UsageError
from modelfleet.tenant_ids import (
    MAX_LENGTH,
    is_tenant_id,
    require_tenant_ids,
    sql_is_tenant_id,
    tenant_id_error,
    tenant_id_problem,
)

VALID = ["1", "store-12", "12-3", "a.b_c", "x" * MAX_LENGTH, "...", ".a", "a..b"]
HOSTILE = [
    "",
    ".",
    "..",
    "../etc",
    "a/b",
    "a\\b",
    "a b",
    "a:b",
    "a%2F",
    "x" * (MAX_LENGTH + 1),
    "caf\u00e9",  # composed é
    "cafe\u0301",  # e + combining acute
    "\u0430dmin",  # starts with CYRILLIC SMALL LETTER A
    "\uff11\uff12",  # fullwidth 12
    "a\nb",
    "a\x00b",
]


@pytest.mark.parametrize("value", VALID)
def test_valid_ids_are_accepted(value: str) -> None:
    assert is_tenant_id(value) and tenant_id_problem(value) is None


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_ids_are_refused_with_a_reason(value: str) -> None:
    assert not is_tenant_id(value)
    assert tenant_id_problem(value)


def test_dot_dot_is_refused_as_a_path_step() -> None:
    assert "read as a step" in (tenant_id_problem("..") or "")


def test_a_non_ascii_id_names_the_character_and_why_ids_are_ascii() -> None:
    problem = tenant_id_problem("caf\u00e9") or ""

    assert "U+00E9" in problem and "spelled two ways" in problem


def test_a_long_id_is_quoted_short_in_the_error() -> None:
    message = tenant_id_error("y" * 10_000, "tenants.include")

    assert message.startswith("tenants.include: tenant id ")
    assert "10000 characters long" in message and len(message) < 400


def test_a_non_text_id_is_refused() -> None:
    assert tenant_id_problem(12) == "is a int, not text"


def test_require_raises_usage_error_for_the_first_invalid_id() -> None:
    with pytest.raises(UsageError, match=r"registering: tenant id '\.\.'"):
        require_tenant_ids(["ok", "..", "a/b"], "registering")


@pytest.mark.parametrize("value", VALID + HOSTILE)
def test_the_duckdb_expression_agrees_with_the_python_rule(value: str) -> None:
    con = duckdb.connect()
    ((verdict,),) = con.execute(f"SELECT {sql_is_tenant_id('$1')}", [value]).fetchall()
    con.close()

    assert verdict is is_tenant_id(value)
