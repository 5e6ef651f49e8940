"""The ``pii:`` block: which canonical columns hold personal data, and what ingest does to them.

Each listed column gets one policy, applied to every value as it is read, before anything is
converted, validated, stored or logged (see :mod:`modelfleet.data.pii`):

* ``drop``: the values are removed; the column stays in the schema, all null;
* ``mask``: each value becomes the fixed token ``***`` (nulls stay null);
* ``hash``: each value becomes a keyed hash (HMAC-SHA256, 32 hex digits), so equal values stay
  equal and joins on the column still work; the key is read from ``key_file``.

The block is fleet-wide: it cannot vary by environment or tenant, so every tenant's data and
every server of the fleet treat the same columns the same way. It is part of the training hash
(it changes the data the model sees); the key's content is not (the data fingerprint changes
when the key does).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from modelfleet.config.base import ColumnType, Strict
from modelfleet.quoting import excerpt, name_list

PiiPolicy = Literal["drop", "mask", "hash"]
# The policies that write text: they need a text column to write it to.
TEXT_POLICIES: frozenset[str] = frozenset({"mask", "hash"})


class PiiSpec(Strict):
    """Columns of personal data and the policy each gets at ingest."""

    columns: dict[str, PiiPolicy] = Field(
        default_factory=dict, description="canonical column -> drop, mask or hash"
    )
    key_file: str | None = Field(
        default=None,
        description="file holding the secret key of the hash policy (relative to the spec's "
        "folder); keep it out of version control",
    )

    def hashed(self) -> tuple[str, ...]:
        """The columns whose policy is ``hash``."""
        return tuple(c for c, p in self.columns.items() if p == "hash")


def check_pii(
    pii: PiiSpec,
    *,
    tenant_key: Sequence[str],
    columns: dict[str, ColumnType],
    covariates: Sequence[str],
    join_on: Sequence[str],
) -> None:
    """Refuse a ``pii:`` block that names no declared column or cannot keep its promise.

    ValueError (the spec loader turns it into a ConfigError naming the file) says which
    ``pii.columns`` entry is wrong and what to write instead.
    """
    for column, policy in pii.columns.items():
        where = f"pii.columns.{excerpt(column, quoted=False)}"
        if column in tenant_key:
            raise ValueError(
                f"{where}: {excerpt(column)} is a tenant key column; the tenant id partitions "
                "every store and cannot be hidden. Key the tenants by a non-personal id "
                "instead (e.g. a customer number)"
            )
        if column not in columns:
            raise ValueError(
                f"{where}: {excerpt(column)} is not declared under schema.columns (declared: "
                f"{name_list(sorted(columns))}); the timestamp and target cannot be personal "
                "data"
            )
        if policy in TEXT_POLICIES and columns[column] != "str":
            raise ValueError(
                f"{where}: {policy} writes text, but schema.columns.{column} is "
                f"{columns[column]}; declare it as str, or use drop"
            )
        if policy == "drop" and column in covariates:
            raise ValueError(
                f"{where}: a dropped column cannot be a feature; remove it from "
                "features.covariates, or use hash to keep equal values equal"
            )
        if policy != "hash" and column in join_on:
            raise ValueError(
                f"{where}: a source joins on {excerpt(column)}, and {policy} would make every "
                "row match; use hash, which keeps joins working"
            )
    if pii.hashed() and not pii.key_file:
        raise ValueError(
            f"pii.key_file: {name_list(pii.hashed())} use the hash policy, which needs a secret "
            "key. Write one to a file outside version control (e.g. `openssl rand -hex 32 > "
            "pii.key`) and set pii.key_file to its path"
        )
