"""Infer the fleet's frequency (daily or weekly) and flag tenants whose step disagrees.

Each tenant's step is the median gap between its distinct timestamps, so gaps (closed months,
missing weeks) do not change its frequency. The fleet frequency is the declared one, else the one
most tenants have.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import pyarrow as pa

from modelfleet.config.spec import Frequency
from modelfleet.data.canonical import TENANT_COLUMN, Finding
from modelfleet.data.engine import connect, fetch_all, quote

STEP_DAYS: Mapping[Frequency, float] = {"D": 1.0, "W": 7.0}
NAMES: Mapping[Frequency, str] = {"D": "daily (D)", "W": "weekly (W)"}


def tenant_steps(table: pa.Table, timestamp: str) -> dict[str, float]:
    """Median step in days between distinct timestamps, per tenant with two or more."""
    con = connect()
    con.register("t", table)
    ts = quote(timestamp)
    rows = fetch_all(
        con,
        f"WITH d AS (SELECT DISTINCT {TENANT_COLUMN}, {ts} AS ts FROM t WHERE {ts} IS NOT NULL), "
        f"s AS (SELECT {TENANT_COLUMN}, epoch(ts - lag(ts) OVER "
        f"(PARTITION BY {TENANT_COLUMN} ORDER BY ts)) AS step FROM d) "
        f"SELECT {TENANT_COLUMN}, median(step) / 86400.0 FROM s WHERE step IS NOT NULL "
        "GROUP BY ALL",
    )
    con.close()
    return {str(tenant): float(step) for tenant, step in rows}


def classify(step_days: float) -> Frequency | None:
    """D for a one-day step, W for a seven-day step, None for anything else."""
    for frequency, days in STEP_DAYS.items():
        if abs(step_days - days) < 1e-6:
            return frequency
    return None


def infer_frequency(steps: Mapping[str, float], declared: Frequency | None) -> Frequency:
    """The declared frequency, else the most common tenant frequency (daily when unknown)."""
    if declared is not None:
        return declared
    votes = Counter(f for f in map(classify, steps.values()) if f is not None)
    if not votes:
        return "D"  # nothing to infer from; every tenant then fails the frequency check anyway
    # Ties go to the finer frequency (sorted "D" < "W").
    return sorted(votes.items(), key=lambda item: (-item[1], item[0]))[0][0]


def frequency_findings(
    steps: Mapping[str, float], frequency: Frequency, *, declared: bool
) -> list[Finding]:
    """An error for each tenant whose median step is not the fleet's frequency."""
    origin = "declared in schema.frequency" if declared else "inferred from most tenants"
    findings = []
    for tenant in sorted(steps):
        step = steps[tenant]
        if classify(step) == frequency:
            continue
        findings.append(
            Finding(
                tenant=tenant,
                check="frequency",
                severity="error",
                column=None,
                count=1,
                message=(
                    f"tenant {tenant}: its timestamps are {_days(step)} apart (median step), but "
                    f"the fleet is {NAMES[frequency]} ({origin}). Resample its data to one row "
                    f"per {'day' if frequency == 'D' else 'week'}, or fix schema.frequency"
                ),
                examples=(f"median step {_days(step)}",),
            )
        )
    return findings


def _days(step: float) -> str:
    if step < 1:
        return f"{step * 24:g} hours"
    return f"{step:g} days"
