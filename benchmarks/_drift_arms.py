"""The drift benchmark's competitor arms, each run with its own venv's Python by ``bench_drift.py``.

::

    .venv-evidently/bin/python benchmarks/_drift_arms.py evidently --case DIR --out RESULT.json
    .venv-whylogs/bin/python   benchmarks/_drift_arms.py whylogs   --case DIR --out RESULT.json
    .venv-nannyml/bin/python   benchmarks/_drift_arms.py nannyml   --case DIR --out RESULT.json

Standard library, numpy and pandas plus the one tool: never modelfleet (the venvs pin their own
numpy/pandas). Each reads the case's Parquet files (``_drift_data``), splits them per tenant
(untimed), then loops over tenants as its users would, timing apart a ``reference`` step (what
can be done once at training: whylogs' reference profile, NannyML's ``fit``; Evidently has none,
it keeps the raw reference rows) and the ``check`` of the current rows. The loop stops after
``--budget`` seconds; the caller extrapolates to the whole fleet from the tenants done.

Column verdicts are each tool's own defaults: Evidently's DataDriftPreset per-column test
(``Value Drift for column`` failed), whylogs' ``calculate_drift_scores`` category ``DRIFT``
(KS p < 0.05 on its sketches; ``POSSIBLE_DRIFT`` is not counted), NannyML's
UnivariateDriftCalculator alert (reference chunked into pieces the size of the current window,
thresholds from those chunks; KS and Jensen-Shannon both computed, reported apart). A tenant
drifts, for every tool alike, when more than 0.2 of its feature columns drift (modelfleet's
rule; none of the three has a per-tenant verdict of its own beyond Evidently's drift share).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

import _benchlib as bl

DRIFT_SHARE = 0.2
Check = Callable[[Any, pd.DataFrame], dict[str, list[str]]]  # variant -> drifted columns


def _hwm_mb() -> float:
    """The process's peak RSS (VmHWM: reset at exec, unlike getrusage's ru_maxrss, which a child
    inherits from the parent it was forked from)."""
    with open("/proc/self/status", encoding="ascii") as handle:  # noqa: PTH123
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _split(frame: pd.DataFrame, names: list[str]) -> dict[str, pd.DataFrame]:
    if "tenant" not in frame.columns:
        return {"0": frame[names]}
    return {str(t): part[names].reset_index(drop=True) for t, part in frame.groupby("tenant")}


# ----------------------------------------------------------------------------- Evidently
def evidently_arm(names: list[str], cur_rows: int) -> tuple[Callable[[pd.DataFrame], Any], Check]:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(numerical_columns=names)

    def reference(ref: pd.DataFrame) -> Any:
        return ref  # no reference step: the preset needs the raw reference rows

    def check(ref: Any, cur: pd.DataFrame) -> dict[str, list[str]]:
        report = Report([DataDriftPreset()], include_tests=True)
        snapshot = report.run(
            Dataset.from_pandas(cur, data_definition=definition),
            Dataset.from_pandas(ref, data_definition=definition),
        )
        drifted = []
        for test in snapshot.dict()["tests"]:
            params = test.get("metric_config", {}).get("params", {})
            is_column = "column" in params and test["name"].startswith("Value Drift")
            if is_column and test["status"] == "FAIL":
                drifted.append(params["column"])
        return {"evidently": drifted}

    return reference, check


def evidently_method(ref_rows: int) -> str:
    """What the preset picks for numeric columns at this reference size (its documented rule)."""
    if ref_rows <= 1000:
        return "DataDriftPreset defaults: KS p < 0.05 (reference <= 1,000 rows)"
    return "DataDriftPreset defaults: normed Wasserstein distance >= 0.1 (reference > 1,000 rows)"


# ----------------------------------------------------------------------------- whylogs
def whylogs_arm(names: list[str], cur_rows: int) -> tuple[Callable[[pd.DataFrame], Any], Check]:
    import whylogs as why
    from whylogs.viz.drift.column_drift_algorithms import calculate_drift_scores

    sizes: list[int] = []

    def reference(ref: pd.DataFrame) -> Any:
        view = why.log(ref).view()
        sizes.append(len(view.serialize()))  # what storing the profile would keep
        return view

    def check(view: Any, cur: pd.DataFrame) -> dict[str, list[str]]:
        current = why.log(cur).view()
        scores = calculate_drift_scores(
            target_view=current, reference_view=view, with_thresholds=True
        )
        drifted = [c for c, s in scores.items() if s and s.get("drift_category") == "DRIFT"]
        return {"whylogs": drifted}

    check.sizes = sizes  # type: ignore[attr-defined]
    return reference, check


# ----------------------------------------------------------------------------- NannyML
def nannyml_arm(names: list[str], cur_rows: int) -> tuple[Callable[[pd.DataFrame], Any], Check]:
    import nannyml as nml

    warnings.filterwarnings("ignore")  # "the resulting number of chunks is too low"

    def reference(ref: pd.DataFrame) -> Any:
        calc = nml.UnivariateDriftCalculator(
            column_names=names,
            continuous_methods=["kolmogorov_smirnov", "jensen_shannon"],
            chunk_size=cur_rows,
        )
        return calc.fit(ref)

    def check(calc: Any, cur: pd.DataFrame) -> dict[str, list[str]]:
        frame = calc.calculate(cur).filter(period="analysis").to_df()
        out: dict[str, list[str]] = {}
        for method, label in (("kolmogorov_smirnov", "KS"), ("jensen_shannon", "JS")):
            out[f"nannyml {label}"] = [
                c for c in names if bool(frame[(c, method, "alert")].astype(bool).any())
            ]
        return out

    return reference, check


def _loop(
    refs: dict[str, pd.DataFrame],
    curs: dict[str, pd.DataFrame],
    names: list[str],
    reference: Callable[[pd.DataFrame], Any],
    check: Check,
    budget: float,
    variants: dict[str, dict[str, Any]],
    timings: list[float],
) -> int:
    """Tenant after tenant until ``budget`` s are spent; ``timings``: [reference s, check s]."""
    done = 0
    for tenant, ref in refs.items():
        start = time.perf_counter()
        state = reference(ref)
        middle = time.perf_counter()
        flagged = check(state, curs[tenant])
        end = time.perf_counter()
        timings[0] += middle - start
        timings[1] += end - middle
        done += 1
        for label, columns in flagged.items():
            share = len(columns) / len(names)
            variants.setdefault(label, {})[tenant] = {
                "drifted": share > DRIFT_SHARE,
                "columns": columns,
            }
        if sum(timings) > budget:
            break
    return done


ARMS = {"evidently": evidently_arm, "whylogs": whylogs_arm, "nannyml": nannyml_arm}


def run(tool: str, case: Path, budget: float) -> dict[str, Any]:
    """Loop the tool over the case's tenants until ``budget`` seconds are spent."""
    truth = json.loads((case / "truth.json").read_text())
    names: list[str] = truth["features"]
    ref_all = pd.read_parquet(case / "reference.parquet")
    cur_all = pd.read_parquet(case / "current.parquet")
    refs, curs = _split(ref_all, names), _split(cur_all, names)
    del ref_all, cur_all
    ref_rows = len(next(iter(refs.values())))
    cur_rows = len(next(iter(curs.values())))
    # The single-tenant case: NannyML chunks in ten (one chunk cannot set its threshold).
    chunk = cur_rows if len(refs) > 1 else max(cur_rows // 10, 1)
    reference, check = ARMS[tool](names, chunk)
    variants: dict[str, dict[str, Any]] = {}
    timings = [0.0, 0.0]
    loaded_rss = bl._rss_kb(os.getpid()) / 1024
    sampler = bl.TreeSampler(os.getpid(), interval=0.05)
    with sampler:
        done = _loop(refs, curs, names, reference, check, budget, variants, timings)
    ref_seconds, check_seconds = timings
    out: dict[str, Any] = {
        "tool": tool,
        "version": metadata.version(tool),
        "tenants_total": len(refs),
        "tenants_done": done,
        "reference_seconds": ref_seconds,
        "check_seconds": check_seconds,
        "peak_rss_mb": _hwm_mb(),
        "loaded_rss_mb": loaded_rss,
        "loop_peak_rss_mb": sampler.usage.peak_rss_mb,
        "variants": variants,
    }
    if tool == "evidently":
        out["method"] = evidently_method(ref_rows)
    elif tool == "whylogs":
        sizes = check.sizes  # type: ignore[attr-defined]
        out["profile_bytes_per_tenant"] = sum(sizes) / len(sizes)
        out["method"] = "calculate_drift_scores: KS on KLL sketches, category DRIFT (p < 0.05)"
    else:
        out["method"] = (
            f"UnivariateDriftCalculator, chunk_size {chunk}: alert when a chunk's KS statistic "
            "(or JS distance) leaves mean +- 3 sd of the reference chunks"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tool", choices=sorted(ARMS))
    parser.add_argument("--case", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--budget", type=float, default=90.0)
    args = parser.parse_args()
    bl.install_network_guard()  # telemetry is switched off by the caller; this logs any try
    args.out.write_text(json.dumps(run(args.tool, args.case, args.budget)))


if __name__ == "__main__":
    main()
