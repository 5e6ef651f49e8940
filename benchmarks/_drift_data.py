"""Synthetic data with known injected drift for ``bench_drift.py``, written as Parquet files.

Every arm (modelfleet and each competitor, each in its own venv) reads the same files, so this
module is imported by the benchmark only; the arms read Parquet and ``truth.json``.

**Fleet case** (``fleet/``): ``tenants`` tenants x ``features`` numeric features. Tenant ``t``'s
feature ``f`` is normal with its own mean (N(0, 5)) and standard deviation (U(0.5, 3)).
``reference.parquet`` holds ``ref_rows`` rows a tenant (the training data its profile is built
from), ``current.parquet`` ``cur_rows`` logged rows a tenant, both in long form (a ``tenant``
column, then ``f00``.., then ``prediction``, a fixed linear function of the features).
Every tenth tenant (``t % 10 == 3``) drifts: ``drifted_features`` of its features, picked at
random, get either a mean shift of U(0.5, 1.0) standard deviations or a scale change of
U(2.0, 3.0)x (half each; population KS distance 0.16 to 0.38). A drifted tenant is truly
drifted (6 of 20 = 0.3 of its columns, above the 0.2 share); every other tenant is drawn from
its reference distribution.

**Single-tenant case** (``single-<rows>/``): reference and current ``rows`` rows each, 10
columns, see ``SINGLE_COLUMNS``: four drifted, five not (normal, exponential, uniform), and
``tiny_shift``, moved by 0.02 standard deviations (population KS 0.008, Wasserstein 0.02 sd):
real, and significant at these sizes, but far below any effect floor (modelfleet's min_ks 0.1):
it should NOT be flagged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20261207

# name: (distribution, change, truly drifted); changes are in standard deviations / factors.
SINGLE_COLUMNS: dict[str, tuple[str, str, bool]] = {
    "shift_0_5": ("normal", "mean +0.5 sd (KS 0.20)", True),
    "shift_neg_0_3": ("normal", "mean -0.3 sd (KS 0.12)", True),
    "scale_2": ("normal", "scale x2 (KS 0.16)", True),
    "scale_half": ("normal", "scale x0.5 (KS 0.16)", True),
    "tiny_shift": ("normal", "mean +0.02 sd (KS 0.008, below the floor)", False),
    "stable_normal": ("normal", "none", False),
    "stable_normal_2": ("normal", "none", False),
    "stable_exponential": ("exponential", "none", False),
    "stable_uniform": ("uniform", "none", False),
    "stable_lognormal": ("lognormal", "none", False),
}


@dataclass(frozen=True)
class FleetShape:
    """Sizes of the fleet case."""

    tenants: int = 1000
    features: int = 20
    ref_rows: int = 1000
    cur_rows: int = 100
    drifted_features: int = 6


def feature_names(n: int) -> list[str]:
    """``f00``, ``f01``, ..."""
    return [f"f{i:02d}" for i in range(n)]


def _write(path: Path, columns: dict[str, np.ndarray]) -> None:
    pq.write_table(pa.table(columns), path, compression="zstd")


def make_fleet(folder: Path, shape: FleetShape) -> dict[str, Any]:
    """Write the fleet case into ``folder``; returns (and writes) its truth."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    t_n, f_n = shape.tenants, shape.features
    names = feature_names(f_n)
    mean = rng.normal(0.0, 5.0, size=(t_n, f_n))
    sd = rng.uniform(0.5, 3.0, size=(t_n, f_n))
    weights = rng.normal(0.0, 1.0, size=f_n)
    drifted_tenants = [t for t in range(t_n) if t % 10 == 3]
    shift = np.zeros((t_n, f_n))
    scale = np.ones((t_n, f_n))
    truth_columns: dict[str, list[str]] = {}
    for t in drifted_tenants:
        picked = np.sort(rng.choice(f_n, size=shape.drifted_features, replace=False))
        half = shape.drifted_features // 2
        for k, f in enumerate(picked):
            if k < half:
                shift[t, f] = rng.uniform(0.5, 1.0) * rng.choice([-1.0, 1.0])
            else:
                scale[t, f] = rng.uniform(2.0, 3.0)
        truth_columns[str(t)] = [names[f] for f in picked]

    def rows(n: int, drift: bool) -> dict[str, np.ndarray]:
        tenant = np.repeat(np.arange(t_n, dtype=np.int32), n)
        z = rng.standard_normal(size=(t_n * n, f_n))
        if drift:
            z = z * scale[tenant] + shift[tenant]
        x = mean[tenant] + sd[tenant] * z
        out: dict[str, np.ndarray] = {"tenant": tenant}
        out.update({name: x[:, i] for i, name in enumerate(names)})
        out["prediction"] = ((x - mean[tenant]) / sd[tenant]) @ weights
        return out

    _write(folder / "reference.parquet", rows(shape.ref_rows, drift=False))
    _write(folder / "current.parquet", rows(shape.cur_rows, drift=True))
    truth = {
        "case": "fleet",
        "tenants": t_n,
        "features": names,
        "ref_rows": shape.ref_rows,
        "cur_rows": shape.cur_rows,
        "drifted_tenants": drifted_tenants,
        "drifted_columns": truth_columns,
        "injected": (
            f"{len(drifted_tenants)} of {t_n} tenants (t % 10 == 3), {shape.drifted_features} of "
            f"{f_n} features each: half a mean shift of U(0.5, 1.0) sd, half a scale change of "
            "U(2.0, 3.0)x"
        ),
    }
    (folder / "truth.json").write_text(json.dumps(truth, indent=1))
    return truth


def _draw(rng: np.random.Generator, kind: str, n: int) -> np.ndarray:
    if kind == "normal":
        return rng.normal(10.0, 2.0, size=n)
    if kind == "exponential":
        return rng.exponential(3.0, size=n)
    if kind == "uniform":
        return rng.uniform(-1.0, 1.0, size=n)
    return rng.lognormal(0.0, 0.5, size=n)


def _change(values: np.ndarray, name: str) -> np.ndarray:
    centre, sd = 10.0, 2.0  # every changed column is normal(10, 2)
    if name == "shift_0_5":
        return values + 0.5 * sd
    if name == "shift_neg_0_3":
        return values - 0.3 * sd
    if name == "scale_2":
        return centre + (values - centre) * 2.0
    if name == "scale_half":
        return centre + (values - centre) * 0.5
    if name == "tiny_shift":
        return values + 0.02 * sd
    return values


def make_single(folder: Path, rows: int) -> dict[str, Any]:
    """Write the single-tenant case of ``rows`` rows (reference and current) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED + rows)
    ref: dict[str, np.ndarray] = {}
    cur: dict[str, np.ndarray] = {}
    for name, (kind, _, _) in SINGLE_COLUMNS.items():
        ref[name] = _draw(rng, kind, rows)
        cur[name] = _change(_draw(rng, kind, rows), name)
    weights = np.linspace(-1.0, 1.0, len(SINGLE_COLUMNS))
    for side in (ref, cur):
        side["prediction"] = np.column_stack(list(side.values())) @ weights
    _write(folder / "reference.parquet", ref)
    _write(folder / "current.parquet", cur)
    truth = {
        "case": f"single-{rows}",
        "rows": rows,
        "features": list(SINGLE_COLUMNS),
        "drifted": {name: drifted for name, (_, _, drifted) in SINGLE_COLUMNS.items()},
        "changes": {name: change for name, (_, change, _) in SINGLE_COLUMNS.items()},
    }
    (folder / "truth.json").write_text(json.dumps(truth, indent=1))
    return truth
