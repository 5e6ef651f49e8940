"""A monitoring window read from the prediction log: what each live version was asked lately.

:func:`live_window` reads, for one fleet and environment, every logged prediction of a time span
and keeps the rows answered by the version each tenant's environment alias names now (rows of
earlier versions, challengers or shadows are counted, not tested: drift compares a version with
its own training data). It loads each live version's reference profile and vocabulary (small
artifacts) and encodes the logged inputs as the package encodes them, all tenants together:
one JSON parse of every row (Arrow's reader), one cast per numeric column, one join per
categorical column against every tenant's vocabulary. A tenant that cannot be monitored (no
live version, a version trained before profiles existed, an unreadable artifact) is listed with
the reason; it never stops the others.

A column a row did not carry (a forecast logs its dates and covariates, not the lags built from
the online store) is *not logged* for that row, which is not the same as null: only rows that
carry a column are compared on it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from modelfleet.errors import DataError, ModelfleetError
from modelfleet.monitoring.drift import FleetWindow
from modelfleet.registry.queries import VersionQuery
from modelfleet.registry.reads import ArtifactStores, VersionArtifacts, search
from modelfleet.registry.records import ModelVersion
from modelfleet.store import MetadataStore
from modelfleet.training.package import PackageMetadata, load_metadata
from modelfleet.training.profiles import PROFILE_ARTIFACT, ReferenceProfile, profile_from_json


@dataclass(frozen=True)
class Monitored:
    """A live version whose profile and vocabulary are in hand."""

    version: ModelVersion
    profile: ReferenceProfile
    meta: PackageMetadata


@dataclass(frozen=True, eq=False)
class LiveWindow:
    """The window handed to drift, and what was left out of it and why."""

    fleet: str
    environment: str
    since: datetime
    until: datetime
    window: FleetWindow
    versions: Mapping[str, str]  # tenant -> the version monitored
    logged_rows: int  # every row of the span, kept or not
    other_rows: int  # rows answered by a version not live now (challenger, shadow, earlier)
    left_out: Mapping[str, str] = field(default_factory=dict)  # tenant -> why not monitored


def monitored_versions(
    store: MetadataStore, stores: ArtifactStores, fleet: str, environment: str
) -> tuple[dict[str, Monitored], dict[str, str]]:
    """(tenant -> live version with its profile, tenant -> why it cannot be monitored)."""
    live = search(store, VersionQuery(fleet=fleet, environment=environment, limit=None))
    digests = store.artifact_digests([v.run_id for v in live if v.run_id], PROFILE_ARTIFACT)
    found: dict[str, Monitored] = {}
    left_out: dict[str, str] = {}
    for version in live:
        digest = digests.get(version.run_id or "")
        where = f"the profile of {version.model} {version.version}"
        if digest is None or version.meta_digest is None:
            left_out[version.tenant] = (
                f"{version.model} {version.version} has no reference profile (trained before "
                f"modelfleet kept them): retrain it (`modelfleet train --tenant {version.tenant}`)"
            )
            continue
        try:
            artifacts = VersionArtifacts(version, stores)
            profile = profile_from_json(artifacts.get_bytes(digest), where=where)
            meta = load_metadata(artifacts, version.meta_digest)
        except ModelfleetError as exc:
            left_out[version.tenant] = str(exc)
            continue
        found[version.tenant] = Monitored(version, profile, meta)
    return found, left_out


def live_window(
    store: MetadataStore,
    stores: ArtifactStores,
    fleet: str,
    environment: str,
    since: datetime,
    until: datetime,
) -> LiveWindow:
    """The logged predictions of ``[since, until)`` of every live version of ``fleet``."""
    monitored, left_out = monitored_versions(store, stores, fleet, environment)
    logged = store.prediction_columns(fleet, environment, since, until)
    tenants = tuple(sorted(monitored))
    live_keys = pa.array([f"{t}\x1f{monitored[t].version.version}" for t in tenants])
    table = pa.table(
        {
            "tenant": pa.array(logged.tenant, pa.string()),
            "version": pa.array(logged.version, pa.string()),
            "inputs": pa.array(logged.inputs, pa.string()),
            "value": pa.array(logged.value, pa.float64()),
        }
    )
    keys = pc.binary_join_element_wise(table["tenant"], table["version"], "\x1f")
    kept = table.filter(pc.is_in(keys, value_set=live_keys))
    index = pc.index_in(kept["tenant"], value_set=pa.array(tenants, pa.string()))
    tenant_index = index.to_numpy(zero_copy_only=False).astype(np.int64)
    columns, carried = _encoded(kept["inputs"], tenant_index, tenants, monitored)
    window = FleetWindow(
        tenants=tenants,
        profiles=[monitored[t].profile for t in tenants],
        tenant_index=tenant_index,
        columns=columns,
        predictions=_floats(kept["value"]),
        logged=carried,
    )
    return LiveWindow(
        fleet=fleet,
        environment=environment,
        since=since,
        until=until,
        window=window,
        versions={t: str(monitored[t].version.version) for t in tenants},
        logged_rows=len(logged),
        other_rows=len(logged) - kept.num_rows,
        left_out=left_out,
    )


def _floats(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Arrow numbers as float64 with NaN for null."""
    return np.asarray(pc.fill_null(pc.cast(values, pa.float64()), np.nan).to_numpy(), np.float64)


def _column_types(monitored: Mapping[str, Monitored]) -> dict[str, tuple[pa.DataType, bool]]:
    """Each input column's JSON type (numbers as float64; categories as their signature type)
    and whether it is categorical, from the first tenant that has it."""
    types: dict[str, tuple[pa.DataType, bool]] = {}
    for item in monitored.values():
        for spec in item.version.signature.inputs:
            if spec.name in types:
                continue
            if spec.name in item.meta.vocabulary:
                types[spec.name] = (_arrow_type(spec.type), True)
            else:
                types[spec.name] = (pa.float64(), False)
    return types


def _arrow_type(name: str) -> pa.DataType:
    try:
        return pa.type_for_alias(name)
    except ValueError:
        return pa.string()


def _encoded(
    inputs: pa.ChunkedArray,
    tenant_index: np.ndarray,
    tenants: Sequence[str],
    monitored: Mapping[str, Monitored],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Every input column over all rows (numbers, or each tenant's vocabulary codes) and,
    per column, which rows carried it."""
    types = _column_types(monitored)
    if not types or len(inputs) == 0:
        empty = np.empty(0)
        return {n: empty for n in types}, {n: np.zeros(0, dtype=bool) for n in types}
    schema = pa.schema([(name, kind) for name, (kind, _) in types.items()])
    text = "\n".join(inputs.to_pylist()).encode()
    options = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    try:
        parsed = pajson.read_json(io.BytesIO(text), parse_options=options)
    except pa.ArrowInvalid as exc:
        raise DataError(
            f"the prediction log's inputs do not match the live versions' signatures ({exc}); "
            "a row logged by a version with other inputs? narrow the window with --since"
        ) from exc
    columns: dict[str, np.ndarray] = {}
    carried: dict[str, np.ndarray] = {}
    for name, (_, categorical) in types.items():
        key = orjson.dumps(name).decode() + ":"  # how the log writes a key
        carried[name] = np.asarray(pc.match_substring(inputs, key).to_numpy(zero_copy_only=False))
        if categorical:
            columns[name] = _codes(parsed[name], tenant_index, tenants, monitored, name)
        else:
            columns[name] = _floats(parsed[name])
    return columns, carried


def _codes(
    values: pa.ChunkedArray,
    tenant_index: np.ndarray,
    tenants: Sequence[str],
    monitored: Mapping[str, Monitored],
    name: str,
) -> np.ndarray:
    """Raw categories as each row's own tenant's vocabulary codes (NaN: unknown or null), by
    one join of (tenant, value) against every tenant's vocabulary."""
    owner: list[int] = []
    words: list[str] = []
    codes: list[int] = []
    for t, tenant in enumerate(tenants):
        vocabulary = monitored[tenant].meta.vocabulary.get(name, ())
        owner.extend([t] * len(vocabulary))
        words.extend(vocabulary)
        codes.extend(range(len(vocabulary)))
    dictionary = pa.table(
        {
            "t": pa.array(owner, pa.int64()),
            "v": pa.array(words, pa.string()),
            "code": pa.array(codes, pa.float64()),
        }
    )
    rows = pa.table(
        {
            "row": pa.array(np.arange(len(values))),
            "t": pa.array(tenant_index),
            "v": pc.cast(values, pa.string()),
        }
    )
    joined = rows.join(dictionary, keys=["t", "v"], join_type="left outer").sort_by("row")
    return _floats(joined["code"])
