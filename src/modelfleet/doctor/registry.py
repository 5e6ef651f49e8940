"""Registry checks: each alias is where its last move put it, and each alias's moves chain.

Pure functions over every alias and every alias-moving event, read in two queries: an alias
edited behind the registry's back (raw SQL) no longer matches its last event, and an event
removed or altered breaks the chain (each move's ``from`` is the previous move's ``to``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from modelfleet.doctor.findings import CheckResult, Finding, result
from modelfleet.store.audit import AliasMove, AliasState

REPAIR = "roll the alias back or set it again through modelfleet (its history records why)"


def _by_alias(moves: Sequence[AliasMove]) -> dict[tuple[str, str], list[AliasMove]]:
    chains: dict[tuple[str, str], list[AliasMove]] = defaultdict(list)
    for move in moves:  # already ordered by model, alias, id
        chains[(move.model, move.alias)].append(move)
    return chains


def check_aliases(states: Sequence[AliasState], moves: Sequence[AliasMove]) -> CheckResult:
    """Every alias points at the version its last recorded move set, and nowhere else."""
    last = {key: chain[-1] for key, chain in _by_alias(moves).items()}
    now = {(s.model, s.alias): s.version for s in states}
    findings = []
    for key in sorted(set(now) | set(last)):
        model, alias = key
        current, move = now.get(key), last.get(key)
        expected = move.to_version if move is not None else None
        if current == expected:
            continue
        where = f"points at {current}" if current else "is absent"
        said = (
            f"its last move (event {move.id}, {move.kind}) left it at {expected or 'nothing'}"
            if move is not None
            else "no event ever moved it"
        )
        findings.append(Finding(f"{model}@{alias}", f"{where}, but {said}: {REPAIR}"))
    clean = f"{len(now)} aliases match their last move"
    return result("aliases", len(now), findings, clean, "aliases changed outside the registry")


def check_history(moves: Sequence[AliasMove]) -> CheckResult:
    """Each alias's moves chain: a move starts where the previous one left the alias."""
    chains = _by_alias(moves)
    findings = []
    for (model, alias), chain in sorted(chains.items()):
        left_at: str | None = None
        for move in chain:
            if move.from_version != left_at:
                findings.append(
                    Finding(
                        f"{model}@{alias} event {move.id}",
                        f"{move.kind} moves it from {move.from_version or 'nothing'}, but the "
                        f"move before left it at {left_at or 'nothing'}: an event is missing "
                        "or was altered (history is append-only; restore it from a backup)",
                    )
                )
            left_at = move.to_version
    clean = f"{len(moves)} moves of {len(chains)} aliases chain"
    return result("history", len(chains), findings, clean, "breaks in alias histories")
