"""Alias and history checks: pure rules over aliases and their recorded moves."""

from __future__ import annotations

from modelfleet.doctor.registry import check_aliases, check_history
from modelfleet.store.audit import AliasMove, AliasState

M = "demand/s1"


def _move(id: int, frm: str | None, to: str | None, alias: str = "prod") -> AliasMove:
    kind = "alias_set" if to is not None else "alias_removed"
    return AliasMove(id, M, alias, kind, frm, to)


CHAIN = [_move(1, None, "1.0.0"), _move(2, "1.0.0", "1.1.0"), _move(3, "1.1.0", "1.0.0")]


def test_an_alias_where_its_last_move_left_it_is_ok() -> None:
    assert check_aliases([AliasState(M, "prod", "1.0.0")], CHAIN).status == "ok"


def test_an_alias_pointing_elsewhere_than_its_last_move_fails_naming_it() -> None:
    found = check_aliases([AliasState(M, "prod", "1.1.0")], CHAIN)
    assert found.status == "failed"
    (finding,) = found.findings
    assert finding.subject == f"{M}@prod"
    assert "points at 1.1.0" in finding.problem
    assert "event 3" in finding.problem


def test_an_alias_no_event_ever_moved_fails() -> None:
    found = check_aliases([AliasState(M, "staging", "1.0.0")], [])
    assert "no event ever moved it" in found.findings[0].problem


def test_an_alias_deleted_behind_the_registrys_back_fails() -> None:
    found = check_aliases([], CHAIN)
    assert "is absent" in found.findings[0].problem


def test_a_removed_alias_whose_last_move_removed_it_is_ok() -> None:
    moves = [_move(1, None, "1.0.0"), _move(2, "1.0.0", None)]
    assert check_aliases([], moves).status == "ok"


def test_an_unbroken_chain_of_moves_is_ok() -> None:
    assert check_history(CHAIN).status == "ok"


def test_a_move_starting_where_the_previous_did_not_leave_the_alias_fails() -> None:
    broken = [CHAIN[0], CHAIN[2]]  # event 2 deleted
    found = check_history(broken)
    assert found.status == "failed"
    (finding,) = found.findings
    assert finding.subject == f"{M}@prod event 3"
    assert "left it at 1.0.0" in finding.problem


def test_chains_of_different_aliases_are_checked_apart() -> None:
    moves = [_move(1, None, "1.0.0", "dev"), _move(2, None, "1.0.0", "prod")]
    assert check_history(moves).status == "ok"
