"""Time ``modelfleet doctor`` on a store holding Rossmann's 1,115 real models.

Trains ``examples/rossmann/fleet.yaml`` (every store, real LightGBM models, process
executor) into a fresh temporary home, promotes nothing, then runs the doctor's examination
(``modelfleet.doctor.examine``, read-only) ``--repeat`` times and prints the median and the
artifact bytes it hashed. The Rossmann files come from ``../shared/datasets`` beside the
repository (never part of it). The page cache is warm after training: the figure is the cost
of hashing and the queries, not of a cold disk.

Run (from the repository root)::

    .venv/bin/python benchmarks/bench_doctor.py
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import _benchlib as bl

EXAMPLE = bl.REPO_ROOT / "examples" / "rossmann" / "fleet.yaml"
BUDGET_SECONDS = 10.0


def main(argv: Sequence[str] | None = None) -> int:
    """Train Rossmann, examine the store, print the figures, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    from modelfleet.config.settings import Settings
    from modelfleet.config.spec import load_spec
    from modelfleet.doctor import examine
    from modelfleet.pipeline.runner import train_fleet

    root = Path(tempfile.mkdtemp(prefix="modelfleet-bench-doctor-"))
    try:
        settings = Settings.for_home(root / "home").with_overrides(workers=args.workers)
        started = time.perf_counter()
        summary = train_fleet(load_spec(EXAMPLE, "dev"), settings, caller="bench")
        trained = time.perf_counter() - started
        print(
            f"trained {len(summary.records)} stores, {len(summary.versions)} versions "
            f"in {trained:.0f} s",
            flush=True,
        )
        seconds, report = [], None
        for _ in range(args.repeat):
            report = examine(settings.store_url, settings.artifacts_url)
            seconds.append(report.seconds)
            print(f"  doctor: {report.seconds:.2f} s, ok={report.ok}", flush=True)
        assert report is not None
        checks = {r.check: r for r in report.results}
        blobs_bytes = bl.dir_size_bytes(Path(settings.artifacts_url))
        median = statistics.median(seconds)
        print(
            f"\n{checks['artifacts'].detail}; {checks['unreferenced blobs'].checked} blobs, "
            f"{blobs_bytes / 1e6:.0f} MB in the artifact folder"
        )
        print(f"doctor median {median:.2f} s (budget {BUDGET_SECONDS:.0f} s), runs: {seconds}")
        path = bl.write_result(
            "doctor",
            {
                "benchmark": "doctor",
                "machine": bl.machine_info(("modelfleet",)),
                "settings": vars(args),
                "trained_stores": len(summary.records),
                "versions": len(summary.versions),
                "training_seconds": trained,
                "doctor_seconds": seconds,
                "artifact_bytes": blobs_bytes,
                "report": report.to_json(),
            },
        )
        print(f"results: {path.relative_to(bl.REPO_ROOT)}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
