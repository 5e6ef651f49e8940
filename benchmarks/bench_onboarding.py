"""Onboarding quality: per-tenant only vs pooled only vs chosen, on daily and short weekly fleets.

Every figure is a **holdout** figure: each tenant's last ``validation.horizon`` periods, which no
choice saw (the gate, the per-tenant/pooled/baseline choice and tuning decide on the validation
window before it). For each fleet two runs train into a fresh temporary home:

* ``pooled: false`` -- the per-tenant model or the baseline per tenant (wall time of that arm);
* ``pooled: auto`` -- the same plus the pooled model; the chosen model per tenant.

From the second run's records (``holdout.<candidate>.wmape`` params) the script reads what the
per-tenant model alone, the pooled model alone and the choice score on the holdout, against
seasonal naive. It prints the share of tenants beating seasonal naive, the median WMAPE, the
share (and how far) the chosen model is worse than the baseline on the holdout, wall time,
peak memory of the process tree and artifact disk per tenant.

Fleets (the data is ``../shared/datasets`` beside the repository, never inside it):

* ``rossmann-daily`` -- ``examples/rossmann/fleet.yaml`` (1,115 stores, 42-day horizon);
* ``rossmann-weekly`` -- the same sales rolled up to weeks ending Sunday (about 134 weeks);
* ``favorita-weekly`` -- Favorita store transactions rolled up to weeks, the last 140 weeks;
* ``departments`` -- a synthetic store x department fleet, once ``modelfleet demo-data --kind
  weekly-departments`` exists (skipped with a message until then).

Until the spec's ``aggregate:`` roll-ups land, the weekly data is rolled up here with DuckDB
into the temporary folder (never into the repository).

Run (from the repository root)::

    .venv/bin/python benchmarks/bench_onboarding.py [--fleets rossmann-weekly favorita-weekly]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

import _benchlib as bl
from _onboarding_fleets import FLEETS


def _variant(
    spec_path: Path, folder: Path, name: str, edit: Callable[[dict[str, Any]], None]
) -> Path:
    """A copy of the spec with ``edit`` applied, where its relative source paths still resolve:
    beside it when it is in the temporary folder, else in that folder with absolute paths."""
    spec = yaml.safe_load(spec_path.read_text())
    edit(spec)
    if spec_path.is_relative_to(folder):
        out = spec_path.parent / f".bench-{name}.yaml"
    else:  # a spec in the repository: write the variant into the temp folder
        for source in spec.get("sources", []):
            if "path" in source and not Path(source["path"]).is_absolute():
                source["path"] = str((spec_path.parent / source["path"]).resolve())
        out = folder / f"{name}.yaml"
    out.write_text(yaml.safe_dump(spec, sort_keys=False))
    return out


def _with(spec_path: Path, folder: Path, pooled: str, name: str) -> Path:
    """A variant of the spec with model.pooled set."""
    return _variant(
        spec_path, folder, name, lambda s: s.setdefault("model", {}).update(pooled=pooled)
    )


@dataclass
class Arm:
    """One training run's cost."""

    seconds: float
    peak_rss_mb: float
    disk_per_tenant_kb: float
    records: list[Any]


def _train(spec_path: Path, home: Path, workers: int) -> Arm:
    from modelfleet.config.settings import Settings
    from modelfleet.config.spec import load_spec
    from modelfleet.pipeline.runner import train_fleet

    settings = Settings.for_home(home).with_overrides(workers=workers)
    with bl.TreeSampler(os.getpid()) as sampler, bl.stopwatch() as elapsed:
        summary = train_fleet(load_spec(spec_path, "dev"), settings, caller="bench")
    tenants = max(len(summary.records), 1)
    disk = bl.dir_size_bytes(Path(settings.artifacts_url.removeprefix("file://")))
    return Arm(elapsed[0], sampler.usage.peak_rss_mb, disk / 1024 / tenants, list(summary.records))


def _score(record: Any, candidate: str) -> float | None:
    value = record.params.get(f"holdout.{candidate}.wmape")
    return None if value is None else float(value)


def _quality(records: Sequence[Any], candidate: str) -> dict[str, Any]:
    """Share beating seasonal naive on the holdout and median WMAPE of one candidate."""
    scored = [
        (_score(r, candidate), r.baseline_metrics.get("wmape"))
        for r in records
        if r.status != "failed"
    ]
    pairs = [(s, b) for s, b in scored if s is not None and b is not None]
    if not pairs:
        return {"tenants": 0, "beats": float("nan"), "median": float("nan")}
    beats = sum(1 for s, b in pairs if s < b)
    return {
        "tenants": len(pairs),
        "beats": beats / len(pairs),
        "median": statistics.median(s for s, _ in pairs),
    }


def _worse(records: Sequence[Any]) -> dict[str, Any]:
    """How often (and how far) the chosen model is worse than the baseline on the holdout."""
    gaps = [
        r.metrics["wmape"] / r.baseline_metrics["wmape"] - 1
        for r in records
        if r.status != "failed" and r.baseline_metrics.get("wmape")
    ]
    worse = sorted(g for g in gaps if g > 0)
    return {
        "share": len(worse) / len(gaps) if gaps else float("nan"),
        "median_gap": statistics.median(worse) if worse else 0.0,
        "max_gap": worse[-1] if worse else 0.0,
    }


def bench(name: str, workers: int) -> dict[str, Any] | None:
    """Both runs of one fleet; its figures (None when the fleet's data is not available)."""
    folder = Path(tempfile.mkdtemp(prefix=f"modelfleet-bench-{name}-"))
    try:
        spec = FLEETS[name](folder)
        if spec is None:
            print(
                f"{name}: skipped, `modelfleet demo-data --kind weekly-departments` does not "
                "exist yet"
            )
            return None
        alone = _train(_with(spec, folder, "false", "alone"), folder / "home-alone", workers)
        chosen = _train(_with(spec, folder, "auto", "auto"), folder / "home-auto", workers)
        records = chosen.records
        choices: dict[str, int] = {}
        for record in records:
            key = str(record.params.get("choice", record.status))
            choices[key] = choices.get(key, 0) + 1
        return {
            "fleet": name,
            "tenants": len(records),
            "failed": sum(1 for r in records if r.status == "failed"),
            "per_tenant": _quality(records, "per_tenant"),
            "pooled": _quality(records, "pooled"),
            "baseline": _quality(records, "baseline"),
            "chosen": _chosen_quality(records),
            "worse_than_baseline": _worse(records),
            "choices": choices,
            "seconds": {"per_tenant_run": alone.seconds, "chosen_run": chosen.seconds},
            "peak_rss_mb": {"per_tenant_run": alone.peak_rss_mb, "chosen_run": chosen.peak_rss_mb},
            "disk_per_tenant_kb": {
                "per_tenant_run": alone.disk_per_tenant_kb,
                "chosen_run": chosen.disk_per_tenant_kb,
            },
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _chosen_quality(records: Sequence[Any]) -> dict[str, Any]:
    pairs = [
        (r.metrics["wmape"], r.baseline_metrics["wmape"])
        for r in records
        if r.status != "failed" and "wmape" in r.metrics
    ]
    if not pairs:
        return {"tenants": 0, "beats": float("nan"), "median": float("nan")}
    return {
        "tenants": len(pairs),
        "beats": sum(1 for s, b in pairs if s < b) / len(pairs),
        "median": statistics.median(s for s, _ in pairs),
    }


# Alternatives measured for the weekly feature defaults and for refitting (--sweep): each edits
# the weekly spec; one run each with pooled: auto, read like the main table.
SWEEP: dict[str, Callable[[dict[str, Any]], None]] = {
    "defaults (lags h..h+3, 52; rolling 4, 13; weekofyear, month)": lambda s: None,
    "old defaults (no lags; dayofweek, month, dayofyear)": lambda s: s["features"].update(
        lags=[], rolling=[], calendar=["dayofweek", "month", "dayofyear"]
    ),
    "lags h, 52 only; weekofyear": lambda s: s["features"].update(
        lags=[8, 52], rolling=[], calendar=["weekofyear"]
    ),
    "defaults without the 52-week lag": lambda s: s["features"].update(lags=[8, 9, 10, 11]),
    "defaults, no refit": lambda s: s["validation"].update(refit=False),
    "defaults, 16-week validation window": lambda s: s["validation"].update(window=16),
}


# Alternatives measured for how the choice is judged (--sweep-set choice): one validation
# window against several folds (rolling origins), all else the fleet's defaults.
CHOICE_SWEEP: dict[str, Callable[[dict[str, Any]], None]] = {
    "1 fold (one validation window)": lambda s: s["validation"].update(folds=1),
    "2 folds": lambda s: s["validation"].update(folds=2),
    "3 folds": lambda s: s["validation"].update(folds=3),
    "5 folds": lambda s: s["validation"].update(folds=5),
}
SWEEPS = {"features": SWEEP, "choice": CHOICE_SWEEP}


def sweep(name: str, workers: int, alternatives: str = "features") -> list[list[object]]:
    """Train each alternative of ``SWEEPS[alternatives]`` on fleet ``name``; a row each."""
    folder = Path(tempfile.mkdtemp(prefix=f"modelfleet-bench-sweep-{name}-"))
    rows: list[list[object]] = []
    try:
        spec_path = FLEETS[name](folder)
        assert spec_path is not None
        for number, (label, edit) in enumerate(SWEEPS[alternatives].items()):
            path = _variant(spec_path, folder, f"sweep-{number}", edit)
            arm = _train(path, folder / f"home-{number}", workers)
            per_tenant, chosen = _quality(arm.records, "per_tenant"), _chosen_quality(arm.records)
            pooled = _quality(arm.records, "pooled")
            rows.append(
                [
                    label,
                    per_tenant["beats"],
                    per_tenant["median"],
                    pooled["beats"],
                    pooled["median"],
                    chosen["beats"],
                    chosen["median"],
                    _worse(arm.records)["share"],
                    arm.seconds,
                ]
            )
            print(bl.table(SWEEP_HEADERS, rows[-1:]), flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rows


SWEEP_HEADERS = [
    "alternative",
    "per-tenant beats SN",
    "per-tenant median",
    "pooled beats SN",
    "pooled median",
    "chosen beats SN",
    "chosen median",
    "chosen worse",
    "wall s",
]


def main(argv: Sequence[str] | None = None) -> int:
    """Bench the fleets asked for, print a table per fleet, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fleets", nargs="+", default=list(FLEETS), choices=list(FLEETS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sweep", choices=list(FLEETS), help="measure alternatives on a fleet")
    parser.add_argument(
        "--sweep-set", choices=list(SWEEPS), default="features", help="which alternatives"
    )
    args = parser.parse_args(argv)
    if args.sweep:
        rows = sweep(args.sweep, args.workers, args.sweep_set)
        print(f"\n{args.sweep}\n" + bl.table(SWEEP_HEADERS, rows))
        bl.write_result(
            f"onboarding-sweep-{args.sweep_set}-{args.sweep}",
            {"rows": rows, "code": bl.code_state()},
        )
        return 0
    results = []
    started = time.perf_counter()
    for name in args.fleets:
        result = bench(name, args.workers)
        if result is None:
            continue
        results.append(result)
        rows = [
            [arm, q["tenants"], q["beats"], q["median"]]
            for arm, q in (
                ("seasonal naive", result["baseline"]),
                ("per-tenant only", result["per_tenant"]),
                ("pooled only", result["pooled"]),
                ("chosen", result["chosen"]),
            )
        ]
        print(
            f"\n{name}: {result['tenants']} tenants, {result['failed']} failed; choices "
            f"{result['choices']}"
        )
        print(bl.table(["holdout", "tenants", "beats SN", "median WMAPE"], rows))
        worse = result["worse_than_baseline"]
        print(
            f"chosen worse than the baseline on the holdout: {worse['share']:.1%} of tenants "
            f"(median {worse['median_gap']:.1%} worse, at most {worse['max_gap']:.1%})"
        )
        print(
            bl.table(
                ["run", "wall s", "peak RSS MB", "disk KB/tenant"],
                [
                    [
                        run,
                        result["seconds"][run],
                        result["peak_rss_mb"][run],
                        result["disk_per_tenant_kb"][run],
                    ]
                    for run in ("per_tenant_run", "chosen_run")
                ],
            )
        )
    payload = {
        "machine": bl.machine_info(("lightgbm", "duckdb", "modelfleet")),
        "code": bl.code_state(),
        "seconds": time.perf_counter() - started,
        "fleets": results,
    }
    print(f"\nwrote {bl.write_result('onboarding', payload)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
