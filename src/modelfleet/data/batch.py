"""A file to score, read as training reads the fleet's data: the source's format and mapping.

``modelfleet predict --input FILE`` takes a file of the rows to forecast (tenant key, date, the
covariates known ahead), exported the way the fleet's observations are. The fleet's
observations source is pointed at that file, everything else stays (delimiter, decimal comma,
date format, encoding, column names, and the static and covariate sources joined to it: a
calendar file still brings its holidays), and the rows are read, mapped and joined by the same
code as training, without the history checks (rows to score have no history). The target may
be absent or empty. Tenants whose own partner files replace that source in training must be in
the input in the fleet's format.

The rows come from a file (``--input``) or from a SQL query (``--query``, on ``--url`` or, when
the observations source is itself a SQL source, on its own URL): :class:`BatchLocation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.config.spec import FleetSpec
from modelfleet.data.canonical import TENANT_COLUMN
from modelfleet.data.ingest import read_joined_rows
from modelfleet.errors import UsageError


@dataclass(frozen=True)
class BatchLocation:
    """Where the rows are: a file, or a SQL query (and the database's SQLAlchemy URL)."""

    path: Path | None = None
    query: str | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if self.url is not None and self.query is None:
            raise UsageError("--url names the database of a --query; give the query too")
        if (self.path is None) == (self.query is None):
            raise UsageError(
                "give the rows as a file (--input) or a SQL query (--query), one of them"
            )
        if self.query is not None and not self.query.strip():
            raise UsageError("--query is empty: give the SELECT that returns the rows")

    @classmethod
    def of(cls, where: Path | str | BatchLocation) -> BatchLocation:
        """A location from a path, or as given."""
        return where if isinstance(where, BatchLocation) else cls(path=Path(where))


@dataclass(frozen=True, eq=False)
class BatchInput:
    """The input's rows in canonical columns, and the tenants that cannot be scored, why."""

    table: pa.Table  # _tenant, the canonical columns present
    failed: dict[str, str]


def _batch_spec(spec: FleetSpec, where: BatchLocation, source: str | None) -> FleetSpec:
    """``spec`` with its observations source reading ``where`` (and no partner replacements)."""
    observations = [s for s in spec.sources if s.kind == "observations"]
    name = source or (observations[0].name if observations else None)
    chosen = next((s for s in observations if s.name == name), None)
    if chosen is None:
        names = ", ".join(s.name for s in observations)
        raise UsageError(
            f"--source {source!r} is not an observations source of {spec.name}; its "
            f"observations sources: {names}"
        )
    if where.path is not None:
        fmt = chosen.format if chosen.format in ("csv", "parquet") else None
        update: dict[str, Any] = {
            "path": str(where.path.resolve()),
            "url": None,
            "query": None,
            "format": fmt,
        }
    else:
        url = where.url or chosen.url
        if url is None:
            raise UsageError(
                f"--query needs --url: the {chosen.name!r} source of {spec.name} reads a file, so "
                "there is no database to run the query on (e.g. --url postgresql://host/db)"
            )
        update = {"path": None, "url": url, "query": where.query, "format": "sql"}
    replaced = chosen.model_copy(update=update)
    sources = tuple(replaced if s.name == chosen.name else s for s in spec.sources)
    overrides: dict[str, Any] = {}
    for tenant, override in spec.tenants.overrides.items():
        kept = {k: v for k, v in override.items() if k != "sources"}
        own = [s for s in override.get("sources", ()) if s.get("name") != chosen.name]
        if own:
            kept["sources"] = own
        overrides[tenant] = kept
    tenants = spec.tenants.model_copy(update={"overrides": overrides})
    return spec.model_copy(update={"sources": sources, "tenants": tenants})


def read_batch(
    spec: FleetSpec, where: Path | BatchLocation, source: str | None = None
) -> BatchInput:
    """The rows of ``where`` (a file or a query) read with the fleet's mapping and joins
    (default source: the first observations source)."""
    location = BatchLocation.of(where)
    if location.path is not None and not location.path.is_file():
        raise UsageError(f"--input {location.path}: no such file")
    table, failed = read_joined_rows(_batch_spec(spec, location, source))
    internal = [c for c in table.column_names if c.startswith("_") and c != TENANT_COLUMN]
    table = table.drop_columns(internal)
    missing = pc.is_null(table[TENANT_COLUMN])
    if pc.any(missing).as_py():
        table = table.filter(pc.invert(missing))
    return BatchInput(table, failed)
