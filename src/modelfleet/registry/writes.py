"""The one write path of the registry: check the caller, open the transaction, lock, stamp.

Every registry write (registering, metadata, aliases, promotion, approval, rollback, archive,
delete) runs inside :func:`write`. It asks the backend's :class:`~modelfleet.caller.Policy`
whether the caller may do the action on the models (a no-op until governance), opens one write
transaction, takes the models' locks and hands out a :class:`Write` whose events all carry the
caller as actor and one clock reading, so no event site picks its own actor or time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from modelfleet.caller import Action, Caller, Policy
from modelfleet.registry.backend import Backend
from modelfleet.registry.records import EventKind
from modelfleet.store import EventRow, NewEventRow, RegistryTx


@dataclass(frozen=True)
class Write:
    """An open registry write: its transaction, who makes it, when, and the batch it is in."""

    tx: RegistryTx
    caller: Caller
    at: datetime
    action: Action
    policy: Policy
    batch_id: str | None = None

    @property
    def actor(self) -> str:
        """The name every row and event of this write records."""
        return self.caller.principal

    def lock(self, models: Iterable[str]) -> None:
        """Check the caller may act on ``models``, then lock them for this transaction."""
        names = sorted(set(models))
        self.policy.check(self.caller, self.action, names)
        self.tx.lock(names)

    def in_batch(self, batch_id: str | None) -> Write:
        """The same write, tagging its events with ``batch_id``."""
        return replace(self, batch_id=batch_id)

    def new_event(
        self, model: str, kind: EventKind, reason: str, **fields: str | None
    ) -> NewEventRow:
        """An event row stamped with this write's caller, time and batch (not yet added)."""
        return NewEventRow(
            model=model,
            kind=kind,
            actor=self.actor,
            reason=reason,
            at=self.at,
            batch_id=self.batch_id,
            **fields,
        )

    def event(self, model: str, kind: EventKind, reason: str, **fields: str | None) -> EventRow:
        """Append an event stamped with this write's caller, time and batch."""
        return self.tx.add_event(self.new_event(model, kind, reason, **fields))


@contextmanager
def write(
    backend: Backend, caller: Caller, action: Action, models: Iterable[str], what: str
) -> Iterator[Write]:
    """One write transaction as ``caller``, with ``models`` checked and locked first.

    ``models`` may be empty when the models are only known inside the transaction (a batch
    rollback reads them first); :meth:`Write.lock` checks and locks them then.
    """
    with backend.store.registry(what, write=True) as tx:
        opened = Write(tx, caller, backend.clock(), action, backend.policy)
        names = list(models)
        if names:
            opened.lock(names)
        yield opened
