"""Turning runs into versions: checks, version numbers and rows, inside one write transaction.

Registering is idempotent per run (the same run returns its existing version) and numbers the
version from every version the model ever had, so a number is never handed out twice even
after a deletion. A metadata change writes a new PATCH version that points at the same
artifacts, so a version, once read, never changes underneath its reader.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from modelfleet.errors import PromotionError, UsageError
from modelfleet.registry.codec import text_of
from modelfleet.registry.records import SemVer, Signature
from modelfleet.registry.refs import model_name
from modelfleet.registry.semver import next_patch, next_registered
from modelfleet.registry.writes import Write
from modelfleet.store import ModelRow, NewEventRow, NewVersionRow, RegistryTx, VersionRow
from modelfleet.tracking.records import ArtifactRecord, TenantRunRecord


def check_registrable(run: TenantRunRecord) -> ArtifactRecord:
    """The run's model artifact, after checking the run may become a version at all."""
    label = f"run {run.run_id} of {run.fleet}/{run.tenant}"
    if run.status != "succeeded":
        why = f" ({run.reason})" if run.reason else ""
        raise PromotionError(
            f"{label} is {run.status}{why}: only succeeded runs (candidates that passed their "
            "quality gate) can be registered; fix the cause and train again"
        )
    artifacts = {artifact.name: artifact for artifact in run.artifacts}
    if "model" not in artifacts:
        raise PromotionError(f"{label} recorded no 'model' artifact, so there is nothing to serve")
    return artifacts["model"]


def register_in(
    w: Write,
    runs: Sequence[tuple[TenantRunRecord, Signature]],
    *,
    tags: Mapping[str, str],
    description: str,
    reuse_identical: bool = False,
) -> list[VersionRow]:
    """Register checked runs in an open, locked write, one version per run.

    A fixed number of statements whatever the number of runs. A run registered before (or
    twice in ``runs``) gives the version it already has. With ``reuse_identical`` (the fleet
    runner's default), a run that repeats a version's training exactly (same data
    fingerprint, config hash, family and signature: a ``--force`` on unchanged data) gives
    that version too: minting a new MINOR with identical metrics each time only fills the store.
    """
    tx, at = w.tx, w.at
    run_ids = [run.run_id for run, _ in runs]
    existing = tx.versions_for_runs(run_ids)
    if reuse_identical:
        existing = {**identical_versions(tx, runs, skip=existing.keys()), **existing}
    names = {model_name(run.fleet, run.tenant) for run, _ in runs}
    signatures = tx.model_signatures(names)
    known = dict(signatures)
    created = {name: _parsed(texts) for name, texts in tx.created_versions(names).items()}
    pending: dict[str, NewVersionRow] = {}
    events: list[NewEventRow] = []
    new_models: dict[str, ModelRow] = {}
    for run, signature in runs:
        if run.run_id in existing or run.run_id in pending:
            continue
        model, digest = model_name(run.fleet, run.tenant), signature.digest()
        changed = model in known and known[model] != digest
        key = next_registered(created[model], signature_changed=changed)
        created[model].append(key)
        if model not in known:
            new_models[model] = ModelRow(model, run.fleet, run.tenant, at, digest)
        known[model] = digest
        pending[run.run_id] = _new_row(run, signature, key, w.actor, at, tags, description)
        why = f"from run {run.run_id}" + ("; the input signature changed" if changed else "")
        events.append(
            w.new_event(model, "registered", why, to_version=str(key), to_status="candidate")
        )
    tx.insert_models(list(new_models.values()))
    tx.update_signatures(
        {name: known[name] for name in signatures if known[name] != signatures[name]}
    )
    ids = tx.insert_versions(list(pending.values()))
    tx.add_events(events)
    stored = tx.versions_by_ids(ids)
    fresh = {run_id: stored[version_id] for run_id, version_id in zip(pending, ids, strict=True)}
    return [existing.get(run_id) or fresh[run_id] for run_id in run_ids]


def identical_versions(
    tx: RegistryTx, runs: Sequence[tuple[TenantRunRecord, Signature]], *, skip: Collection[str]
) -> dict[str, VersionRow]:
    """For runs that repeat an unarchived version's training exactly: run id -> newest such."""
    todo = [(r, s) for r, s in runs if r.run_id not in skip and r.data_fingerprint is not None]
    pairs = {(model_name(r.fleet, r.tenant), r.data_fingerprint or "") for r, _ in todo}
    newest: dict[tuple[str, str, str, str, str], VersionRow] = {}
    for version in tx.versions_with_data(pairs):  # oldest first: the newest wins
        key = (
            version.model,
            version.data_fingerprint or "",
            version.config_hash or "",
            version.family,
            version.signature_digest,
        )
        newest[key] = version
    found: dict[str, VersionRow] = {}
    for run, signature in todo:
        key = (
            model_name(run.fleet, run.tenant),
            run.data_fingerprint or "",
            run.config_hash or "",
            run.model_family,
            signature.digest(),
        )
        if key in newest:
            found[run.run_id] = newest[key]
    return found


def _new_row(
    run: TenantRunRecord,
    signature: Signature,
    key: SemVer,
    actor: str,
    at: datetime,
    tags: Mapping[str, str],
    description: str,
) -> NewVersionRow:
    artifacts = {artifact.name: artifact for artifact in run.artifacts}
    meta, holdout = artifacts.get("model_meta"), artifacts.get("holdout")
    return NewVersionRow(
        model=model_name(run.fleet, run.tenant),
        fleet=run.fleet,
        tenant=run.tenant,
        key=key.key,
        status="candidate",
        run_id=run.run_id,
        family=run.model_family,
        signature=signature.to_json(),
        signature_digest=signature.digest(),
        model_digest=artifacts["model"].digest,
        model_uri=artifacts["model"].uri,
        meta_digest=None if meta is None else meta.digest,
        holdout_digest=None if holdout is None else holdout.digest,
        metrics=dict(run.metrics),
        baseline_metrics=dict(run.baseline_metrics),
        tags=with_identity(tags, run.fleet, run.tenant),
        data_fingerprint=run.data_fingerprint,
        config_hash=run.config_hash,
        code_version=run.code_version,
        description=description,
        created_at=at,
        created_by=actor,
    )


def patch_in(
    w: Write,
    base: VersionRow,
    *,
    tags: Mapping[str, str] | None,
    description: str | None,
    reason: str,
) -> VersionRow:
    """Write ``base`` again as a new PATCH version with changed tags and/or description."""
    tx, at = w.tx, w.at
    fleet, _, tenant = base.model.partition("/")
    merged = with_identity({**json.loads(base.tags), **(tags or {})}, fleet, tenant)
    text = base.description if description is None else description
    if merged == json.loads(base.tags) and text == base.description:
        raise UsageError(
            f"{base.model}:{text_of(base)} already has these tags and this description; "
            "give a tag or description that differs"
        )
    created = _parsed(tx.created_versions([base.model])[base.model])
    key = next_patch(created, SemVer(base.major, base.minor, base.patch))
    (version_id,) = tx.insert_versions(
        [
            NewVersionRow(
                model=base.model,
                fleet=fleet,
                tenant=tenant,
                key=key.key,
                status="candidate",
                run_id=base.run_id,
                family=base.family,
                signature=base.signature,
                signature_digest=base.signature_digest,
                model_digest=base.model_digest,
                model_uri=base.model_uri,
                meta_digest=base.meta_digest,
                holdout_digest=base.holdout_digest,
                metrics=json.loads(base.metrics),
                baseline_metrics=json.loads(base.baseline_metrics),
                tags=merged,
                data_fingerprint=base.data_fingerprint,
                config_hash=base.config_hash,
                code_version=base.code_version,
                description=text,
                created_at=at,
                created_by=w.actor,
            )
        ]
    )
    w.event(
        base.model,
        "metadata_updated",
        reason or "metadata changed",
        from_version=text_of(base),
        to_version=str(key),
        to_status="candidate",
    )
    return _stored(tx, version_id)


def with_identity(tags: Mapping[str, str], fleet: str, tenant: str) -> dict[str, str]:
    """The user's tags plus ``fleet`` and ``tenant``, which always say whose model it is."""
    clean: dict[str, str] = {}
    for key, value in tags.items():
        if not isinstance(key, str) or not key or not isinstance(value, str):
            raise UsageError(f"tag {key!r}={value!r}: tag keys and values must be text")
        clean[key] = value
    return {**clean, "fleet": fleet, "tenant": tenant}


def _parsed(texts: Sequence[str]) -> list[SemVer]:
    return [SemVer.parse(text) for text in texts]


def _stored(tx: RegistryTx, version_id: int) -> VersionRow:
    row = tx.version_by_id(version_id)
    if row is None:  # pragma: no cover - inserted in this very transaction
        raise PromotionError(f"version row {version_id} vanished inside its own transaction")
    return row
