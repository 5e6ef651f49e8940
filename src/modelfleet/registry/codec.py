"""Translate the store's registry rows into registry records and back."""

from __future__ import annotations

import functools
import json
from typing import cast

from modelfleet.registry.records import (
    EventKind,
    ModelEvent,
    ModelVersion,
    SemVer,
    Signature,
    VersionStatus,
)
from modelfleet.store import EventRow, VersionKey, VersionRow


def to_version(row: VersionRow) -> ModelVersion:
    """The public record of a stored version."""
    fleet, _, tenant = row.model.partition("/")  # checked when it was written
    return ModelVersion(
        model=row.model,
        fleet=fleet,
        tenant=tenant,
        version=SemVer(row.major, row.minor, row.patch),
        status=cast(VersionStatus, row.status),  # the store only holds valid statuses
        run_id=row.run_id,
        family=row.family,
        signature=_signature(row.signature),
        model_digest=row.model_digest,
        model_uri=row.model_uri,
        meta_digest=row.meta_digest,
        holdout_digest=row.holdout_digest,
        metrics=json.loads(row.metrics),
        baseline_metrics=json.loads(row.baseline_metrics),
        tags=json.loads(row.tags),
        data_fingerprint=row.data_fingerprint,
        config_hash=row.config_hash,
        code_version=row.code_version,
        aliases=row.aliases,
        description=row.description,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def to_event(row: EventRow) -> ModelEvent:
    """The public record of a stored event."""
    return ModelEvent(
        id=row.id,
        model=row.model,
        kind=cast(EventKind, row.kind),
        alias=row.alias,
        from_version=version_of(row.from_version),
        to_version=version_of(row.to_version),
        actor=row.actor,
        reason=row.reason,
        at=row.at,
        batch_id=row.batch_id,
        from_status=cast(VersionStatus | None, row.from_status),
        to_status=cast(VersionStatus | None, row.to_status),
    )


def version_of(text: str | None) -> SemVer | None:
    """A stored version text ("1.2.0") as a SemVer; None stays None."""
    return None if text is None else SemVer.parse(text)


def text_of(row: VersionRow | None) -> str | None:
    """A stored version's number as text, for events; None stays None."""
    return None if row is None else str(SemVer(row.major, row.minor, row.patch))


def key_text(key: VersionKey) -> str:
    """``(1, 2, 0)`` -> ``"1.2.0"``."""
    return str(SemVer(*key))


@functools.lru_cache(maxsize=4096)
def _signature(text: str) -> Signature:
    # Versions are immutable and many share one signature: parse each distinct text once.
    return Signature.from_json(text)
