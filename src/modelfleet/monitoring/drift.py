"""Drift of a fleet's live inputs and predictions against each version's reference profile.

:func:`fleet_drift` takes one window of current rows for many tenants (a :class:`FleetWindow`:
columns encoded by each tenant's package, as serving encodes them, and a tenant index per row)
and runs every test of every tenant in one pass (:mod:`modelfleet.monitoring.stats`). The
verdict rule, per (tenant, column):

* a numeric column **drifts** when its KS test is significant *and* the KS statistic is at
  least ``min_ks``; a categorical one when its chi-squared test is significant *and* the
  Jensen-Shannon distance is at least ``min_js``; either drifts when the null rate changes
  significantly by at least ``min_null_change``. The effect floors keep huge windows (at a
  million rows any difference is significant) from flagging differences too small to matter;
* *significant* is decided for the whole fleet at once by Benjamini and Bogomolov's
  hierarchical procedure (:func:`~modelfleet.monitoring.stats.hierarchical_adjust`): tenants
  are selected by Benjamini-Hochberg over a Simes p-value each, then columns inside the
  selected tenants, so the false discovery rate among flagged tenants stays at ``alpha``
  however large the fleet;
* a column with fewer than ``min_rows`` current values is not tested (``tested`` False);
* a tenant **drifts** when the share of its tested input columns that drift exceeds
  ``drift_share`` (default 0.2). Prediction drift (the holdout predictions' profile against the
  window's predictions) is tested and reported beside it, not counted in the share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from modelfleet.errors import ConfigError, UsageError
from modelfleet.monitoring import stats
from modelfleet.training.profiles import ColumnProfile, ReferenceProfile

PREDICTION = "prediction"  # the column name prediction drift is reported under


@dataclass(frozen=True)
class DriftPolicy:
    """Thresholds of the verdict rule (module doc); the spec's ``monitoring:`` block sets them."""

    alpha: float = 0.05
    min_ks: float = 0.1
    min_js: float = 0.1
    min_null_change: float = 0.05
    min_rows: int = 30
    drift_share: float = 0.2
    psi_bins: int = 10
    exclude: frozenset[str] = frozenset()  # columns never tested (calendar parts, ids...)

    def __post_init__(self) -> None:
        object.__setattr__(self, "exclude", frozenset(self.exclude))
        for name in ("alpha", "min_ks", "min_js", "min_null_change", "drift_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"monitoring.{name} must be between 0 and 1, not {value}")
        if self.min_rows < 1:
            raise ConfigError(f"monitoring.min_rows must be at least 1, not {self.min_rows}")
        if self.psi_bins < 2:
            raise ConfigError(f"monitoring.psi_bins must be at least 2, not {self.psi_bins}")


@dataclass(frozen=True)
class FleetWindow:
    """Current rows of many tenants: one array per column over all rows, and whose row it is.

    ``columns`` hold what each tenant's package feeds its model (numbers as float64, categories
    as codes of that tenant's vocabulary, NaN for null); ``tenant_index[i]`` is the position in
    ``tenants`` (and ``profiles``) of row ``i``'s tenant.
    """

    tenants: tuple[str, ...]
    profiles: Sequence[ReferenceProfile]
    tenant_index: np.ndarray
    columns: Mapping[str, np.ndarray]
    predictions: np.ndarray
    # Per column, which rows carried it (absent: every row did). A row that did not carry a
    # column is left out of that column's tests, not counted as null.
    logged: Mapping[str, np.ndarray] | None = None

    @classmethod
    def of_tenants(cls, parts: Sequence[TenantRows]) -> FleetWindow:
        """One window from per-tenant tables (a batch file scored tenant by tenant); a column
        a tenant lacks is null in its rows."""
        names = list(dict.fromkeys(n for part in parts for n in part.features.column_names))
        sizes = [part.features.num_rows for part in parts]
        columns = {}
        for name in names:
            columns[name] = np.concatenate(
                [_column(part.features, name) for part in parts] or [np.empty(0)]
            )
        return cls(
            tenants=tuple(part.tenant for part in parts),
            profiles=[part.profile for part in parts],
            tenant_index=np.repeat(np.arange(len(parts)), sizes),
            columns=columns,
            predictions=np.concatenate(
                [np.asarray(p.predictions, dtype=np.float64) for p in parts] or [np.empty(0)]
            ),
        )


@dataclass(frozen=True)
class TenantRows:
    """One tenant's current rows: encoded inputs and the predictions made for them."""

    tenant: str
    profile: ReferenceProfile
    features: pa.Table
    predictions: np.ndarray


def _column(table: pa.Table, name: str) -> np.ndarray:
    if name not in table.column_names:
        return np.full(table.num_rows, np.nan)
    return np.asarray(table[name].to_numpy(zero_copy_only=False), dtype=np.float64)


@dataclass(frozen=True)
class ColumnDrift:
    """The tests of one column of one tenant in a window."""

    tenant: str
    column: str
    kind: str  # numeric | categorical | prediction
    rows: int  # current non-null values
    reference_rows: int
    statistic: float  # KS statistic, or chi-squared
    p_value: float
    p_adjusted: float  # below alpha: significant (hierarchical procedure, module doc)
    effect: float  # KS statistic, or Jensen-Shannon distance
    psi: float | None  # numeric columns only
    null_change: float
    null_p_adjusted: float
    tested: bool
    drifted: bool


@dataclass(frozen=True)
class TenantDrift:
    """One tenant's verdict: which tested columns drift, and whether that is too many."""

    tenant: str
    rows: int
    tested: int
    drifted_columns: tuple[str, ...]
    share: float
    drifted: bool
    p_adjusted: float  # the tenant's own adjusted p-value (selection step)
    prediction: ColumnDrift


@dataclass(frozen=True, eq=False)
class ColumnTests:
    """Every (tenant, column) test of a pass as arrays in one order (records on demand)."""

    tenant: np.ndarray  # position in the window's tenants
    column: Sequence[str]
    kind: Sequence[str]
    rows: np.ndarray
    reference_rows: np.ndarray
    statistic: np.ndarray
    p_value: np.ndarray
    p_adjusted: np.ndarray
    effect: np.ndarray
    psi: np.ndarray  # NaN for categorical columns
    null_change: np.ndarray
    null_p_adjusted: np.ndarray
    tested: np.ndarray
    drifted: np.ndarray

    def record(self, i: int, tenants: Sequence[str]) -> ColumnDrift:
        """Test ``i`` as a record."""
        psi = float(self.psi[i])
        return ColumnDrift(
            tenant=tenants[int(self.tenant[i])],
            column=self.column[i],
            kind=self.kind[i],
            rows=int(self.rows[i]),
            reference_rows=int(self.reference_rows[i]),
            statistic=float(self.statistic[i]),
            p_value=float(self.p_value[i]),
            p_adjusted=float(self.p_adjusted[i]),
            effect=float(self.effect[i]),
            psi=None if np.isnan(psi) else psi,
            null_change=float(self.null_change[i]),
            null_p_adjusted=float(self.null_p_adjusted[i]),
            tested=bool(self.tested[i]),
            drifted=bool(self.drifted[i]),
        )


@dataclass(frozen=True, eq=False)
class FleetDrift:
    """Every tenant's verdict, every column's tests, and how many tests were adjusted."""

    tenants: tuple[TenantDrift, ...]
    tests: int
    policy: DriftPolicy
    table: ColumnTests

    def tenant(self, tenant: str) -> TenantDrift:
        """One tenant's verdict (UsageError when the tenant was not in the window)."""
        for found in self.tenants:
            if found.tenant == tenant:
                return found
        raise UsageError(f"tenant {tenant!r} was not part of this drift window")

    @property
    def columns(self) -> tuple[ColumnDrift, ...]:
        """Every column's tests as records, tenant by tenant."""
        names = [t.tenant for t in self.tenants]
        return tuple(self.table.record(i, names) for i in range(len(self.table.column)))

    def drifted_columns(self) -> tuple[ColumnDrift, ...]:
        """Only the columns that drift (predictions included)."""
        names = [t.tenant for t in self.tenants]
        return tuple(self.table.record(int(i), names) for i in np.flatnonzero(self.table.drifted))


@dataclass(frozen=True)
class _Groups:
    """One kind's (tenant, column) groups: profiles, owners, and each row's group per column."""

    profiles: list[ColumnProfile]
    owners: list[tuple[int, str, str]]  # (tenant position, column, kind)
    lookup: np.ndarray  # [tenants, columns] group id, -1 where the tenant has no such column


def _groups(
    window: FleetWindow, names: Sequence[str], exclude: frozenset[str]
) -> tuple[_Groups, _Groups]:
    """Group ids of every (tenant, column): numeric ones (predictions last), categorical ones."""
    at = {name: i for i, name in enumerate(names)}
    shape = (len(window.tenants), len(names) + 1)
    numeric = _Groups([], [], np.full(shape, -1, dtype=np.int64))
    categorical = _Groups([], [], np.full(shape, -1, dtype=np.int64))
    for t, profile in enumerate(window.profiles):
        for column in profile.features:
            if column.name in exclude:
                continue
            if column.name not in at:
                raise UsageError(
                    f"tenant {window.tenants[t]}: the window has no column {column.name!r}, "
                    "which its version was trained with"
                )
            side = numeric if column.kind == "numeric" else categorical
            side.lookup[t, at[column.name]] = len(side.profiles)
            side.profiles.append(column)
            side.owners.append((t, column.name, column.kind))
        numeric.lookup[t, len(names)] = len(numeric.profiles)
        numeric.profiles.append(profile.predictions)
        numeric.owners.append((t, PREDICTION, PREDICTION))
    return numeric, categorical


def _values(
    groups: _Groups, window: FleetWindow, arrays: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """(group id, value) of every row and column of this kind, rows without a group dropped."""
    ids, values = [], []
    names = list(window.columns)
    for c, array in enumerate(arrays):
        group = groups.lookup[window.tenant_index, c]
        keep = group >= 0
        carried = window.logged.get(names[c]) if window.logged and c < len(names) else None
        if carried is not None:
            keep &= carried
        ids.append(group[keep])
        values.append(np.asarray(array, dtype=np.float64)[keep])
    if not ids:
        return np.empty(0, np.int64), np.empty(0)
    return np.concatenate(ids), np.concatenate(values)


def fleet_drift(window: FleetWindow, policy: DriftPolicy | None = None) -> FleetDrift:
    """Every tenant's drift in one pass over all their columns (see the module doc)."""
    policy = policy or DriftPolicy()
    if len(window.profiles) != len(window.tenants):
        raise UsageError(
            f"a drift window needs one profile per tenant: {len(window.tenants)} tenants, "
            f"{len(window.profiles)} profiles"
        )
    if len(set(window.tenants)) != len(window.tenants):
        raise UsageError("a drift window names a tenant twice; give each tenant's rows once")
    if len(window.tenant_index) != len(window.predictions) or any(
        len(values) != len(window.predictions) for values in window.columns.values()
    ):
        raise UsageError("a drift window's columns, predictions and tenant index differ in length")
    names = list(window.columns)
    numeric, categorical = _groups(window, names, policy.exclude)
    arrays = [window.columns[n] for n in names] + [window.predictions]
    num = stats.numeric_tests(
        stats.numeric_reference(numeric.profiles),
        *_values(numeric, window, arrays),
        policy.psi_bins,
    )
    cat = stats.categorical_tests(
        stats.categorical_reference(categorical.profiles),
        *_values(categorical, window, arrays[:-1]),
    )
    profiles = numeric.profiles + categorical.profiles
    owners = numeric.owners + categorical.owners
    family = np.fromiter((t for t, _, _ in owners), dtype=np.int64, count=len(owners))
    rows = np.concatenate([num.rows, cat.rows])
    ref_rows = np.fromiter((p.count for p in profiles), dtype=np.int64, count=len(profiles))
    ref_nulls = np.fromiter((p.nulls for p in profiles), dtype=np.int64, count=len(profiles))
    nulls = np.concatenate([num.nulls, cat.nulls])
    null_change, null_p = stats.null_tests(ref_rows, ref_nulls, rows, nulls)
    p_value = np.concatenate([num.p_value, cat.p_value])
    tested = rows >= policy.min_rows
    # Null-rate tests join the adjustment only where either side has a null to compare.
    null_tested = tested & ((ref_nulls > 0) | (nulls > 0))
    adjusted, tenant_adjusted = stats.hierarchical_adjust(
        np.concatenate([p_value[tested], null_p[null_tested]]),
        np.concatenate([family[tested], family[null_tested]]),
        len(window.tenants),
        policy.alpha,
    )
    p_adj, null_adj = np.ones(len(profiles)), np.ones(len(profiles))
    p_adj[tested] = adjusted[: int(tested.sum())]
    null_adj[null_tested] = adjusted[int(tested.sum()) :]
    effect = np.concatenate([num.ks, cat.js])
    floor = np.concatenate(
        [np.full(len(num.ks), policy.min_ks), np.full(len(cat.js), policy.min_js)]
    )
    drifted = tested & (
        ((p_adj < policy.alpha) & (effect >= floor))
        | ((null_adj < policy.alpha) & (np.abs(null_change) >= policy.min_null_change))
    )
    table = ColumnTests(
        tenant=family,
        column=[column for _, column, _ in owners],
        kind=[kind for _, _, kind in owners],
        rows=rows,
        reference_rows=ref_rows,
        statistic=np.concatenate([num.ks, cat.chi2]),
        p_value=p_value,
        p_adjusted=p_adj,
        effect=effect,
        psi=np.concatenate([num.psi, np.full(len(cat.js), np.nan)]),
        null_change=null_change,
        null_p_adjusted=null_adj,
        tested=tested,
        drifted=drifted,
    )
    counts = np.bincount(window.tenant_index, minlength=len(window.tenants))
    predictions = numeric.lookup[:, len(names)]  # numeric groups come first in the table
    verdicts = _verdicts(window, table, counts, tenant_adjusted, predictions, policy)
    return FleetDrift(verdicts, int(adjusted.size), policy, table)


def _verdicts(
    window: FleetWindow,
    table: ColumnTests,
    counts: np.ndarray,
    tenant_adjusted: np.ndarray,
    predictions: np.ndarray,
    policy: DriftPolicy,
) -> tuple[TenantDrift, ...]:
    """Each tenant's share of drifted input columns, counted for all tenants at once."""
    tenants = len(window.tenants)
    inputs = np.array([kind != PREDICTION for kind in table.kind], dtype=bool)
    tested = np.bincount(table.tenant[inputs & table.tested], minlength=tenants)
    drifted = np.bincount(table.tenant[inputs & table.drifted], minlength=tenants)
    share = drifted / np.maximum(tested, 1)
    names: list[list[str]] = [[] for _ in range(tenants)]
    for i in np.flatnonzero(inputs & table.drifted).tolist():
        names[int(table.tenant[i])].append(table.column[i])
    return tuple(
        TenantDrift(
            tenant=tenant,
            rows=int(counts[t]),
            tested=int(tested[t]),
            drifted_columns=tuple(names[t]),
            share=float(share[t]),
            drifted=bool(share[t] > policy.drift_share),
            p_adjusted=float(tenant_adjusted[t]),
            prediction=table.record(int(predictions[t]), window.tenants),
        )
        for t, tenant in enumerate(window.tenants)
    )
