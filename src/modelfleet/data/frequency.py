"""Infer the fleet's frequency (daily or weekly) and flag tenants whose step disagrees.

Each tenant's step is the most common gap between its distinct timestamps, so gaps (closed
months, missing weeks) do not change its frequency. The fleet frequency is the declared one, else
the one most tenants have. A tenant whose steps are all whole multiples of the period (for weeks:
all on the same weekday) has the fleet's frequency with gaps: a warning that counts the missing
periods. Anything else (another step, mixed weekdays) is a wrong frequency: an error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyarrow as pa

from modelfleet.config.spec import Frequency
from modelfleet.data.canonical import TENANT_COLUMN, Finding
from modelfleet.data.engine import connect, fetch_all, quote

STEP_DAYS: Mapping[Frequency, float] = {"D": 1.0, "W": 7.0}
NAMES: Mapping[Frequency, str] = {"D": "daily (D)", "W": "weekly (W)"}
_ADJECTIVE: Mapping[Frequency, str] = {"D": "daily", "W": "weekly"}
_UNIT: Mapping[Frequency, str] = {"D": "day", "W": "week"}
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class StepProfile:
    """The distribution of one tenant's steps between distinct timestamps."""

    mode_days: float  # the most common step (ties: the shortest)
    steps: int  # number of steps (distinct timestamps - 1)
    span_days: float  # first to last timestamp
    whole_days: bool  # every step a whole number of days
    whole_weeks: bool  # every step a whole number of weeks (so: one weekday)
    longest_days: float  # the longest step
    longest_from: datetime  # the timestamp before the longest step
    weekdays: Mapping[str, int]  # weekday name -> timestamps on it


def tenant_steps(table: pa.Table, timestamp: str) -> dict[str, StepProfile]:
    """Each tenant's step distribution, for tenants with two or more distinct timestamps."""
    con = connect()
    con.register("t", table)
    ts = quote(timestamp)
    rows = fetch_all(
        con,
        f"WITH d AS (SELECT DISTINCT {TENANT_COLUMN}, {ts} AS ts FROM t WHERE {ts} IS NOT NULL), "
        f"s AS (SELECT {TENANT_COLUMN}, ts, lag(ts) OVER (PARTITION BY {TENANT_COLUMN} "
        "ORDER BY ts) AS prev FROM d), "
        "e AS (SELECT *, epoch(ts - prev) AS step FROM s) "
        f"SELECT {TENANT_COLUMN}, mode(step ORDER BY step) FILTER (WHERE step IS NOT NULL), "
        "count(step), epoch(max(ts) - min(ts)), "
        "bool_and(step % 86400 = 0) FILTER (WHERE step IS NOT NULL), "
        "bool_and(step % 604800 = 0) FILTER (WHERE step IS NOT NULL), "
        "max(step), arg_max(prev, step), histogram(isodow(ts)) "
        "FROM e GROUP BY ALL HAVING count(step) > 0",
    )
    con.close()
    return {
        str(tenant): StepProfile(
            mode_days=float(mode) / 86400.0,
            steps=int(count),
            span_days=float(span) / 86400.0,
            whole_days=bool(days),
            whole_weeks=bool(weeks),
            longest_days=float(longest) / 86400.0,
            longest_from=start,
            weekdays={_WEEKDAYS[int(k) - 1]: int(v) for k, v in sorted(dict(hist).items())},
        )
        for tenant, mode, count, span, days, weeks, longest, start, hist in rows
    }


def classify(step_days: float) -> Frequency | None:
    """D for a one-day step, W for a seven-day step, None for anything else."""
    for frequency, days in STEP_DAYS.items():
        if abs(step_days - days) < 1e-6:
            return frequency
    return None


def infer_frequency(steps: Mapping[str, StepProfile], declared: Frequency | None) -> Frequency:
    """The declared frequency, else the most common tenant frequency (daily when unknown)."""
    if declared is not None:
        return declared
    votes = Counter(f for f in (classify(p.mode_days) for p in steps.values()) if f is not None)
    if not votes:
        return "D"  # nothing to infer from; every tenant then fails the frequency check anyway
    # Ties go to the finer frequency (sorted "D" < "W").
    return sorted(votes.items(), key=lambda item: (-item[1], item[0]))[0][0]


def frequency_findings(
    steps: Mapping[str, StepProfile], frequency: Frequency, *, declared: bool
) -> list[Finding]:
    """A gap warning per tenant with missing periods, an error per tenant of another frequency."""
    origin = "declared in schema.frequency" if declared else "inferred from most tenants"
    findings = []
    for tenant in sorted(steps):
        profile = steps[tenant]
        whole = profile.whole_days if frequency == "D" else profile.whole_weeks
        if classify(profile.mode_days) == frequency and whole:
            gap = _gaps(tenant, profile, frequency)
            if gap is not None:
                findings.append(gap)
            continue
        findings.append(
            Finding(
                tenant=tenant,
                check="frequency",
                severity="error",
                column=None,
                count=1,
                message=(
                    f"tenant {tenant}: {_mismatch(profile, frequency)}, but the fleet is "
                    f"{NAMES[frequency]} ({origin}). Roll its rows up to one per "
                    f"{_UNIT[frequency]} (sources[].aggregate with period "
                    f"{'D' if frequency == 'D' else 'W-<weekday>'}, or resample at the source), "
                    "or fix schema.frequency"
                ),
                examples=(f"most common step {_days(profile.mode_days)}",),
            )
        )
    return findings


def _mismatch(profile: StepProfile, frequency: Frequency) -> str:
    """Why a tenant's timestamps do not follow the fleet's period, in the data's own terms."""
    if frequency == "W" and classify(profile.mode_days) == "W":
        days = ", ".join(f"{d} {n:,}" for d, n in profile.weekdays.items())
        return f"its weekly timestamps fall on different weekdays ({days})"
    if classify(profile.mode_days) == frequency:
        return (
            f"its timestamps are mostly {_days(profile.mode_days)} apart but not always a whole "
            "number of days (times of day differ)"
        )
    return f"its timestamps are {_days(profile.mode_days)} apart (most common step)"


def _gaps(tenant: str, profile: StepProfile, frequency: Frequency) -> Finding | None:
    """A warning counting a tenant's missing periods, or None when it has none."""
    period = STEP_DAYS[frequency]
    missing = round(profile.span_days / period) - profile.steps
    if missing <= 0:
        return None
    unit = _UNIT[frequency]
    longest = round(profile.longest_days / period) - 1
    start = (profile.longest_from + timedelta(days=period)).strftime("%Y-%m-%d")
    plural = "s" if longest != 1 else ""
    text = f"{missing:,} missing {unit}(s) (longest gap {longest} {unit}{plural}, from {start})"
    return Finding(
        tenant=tenant,
        check="frequency",
        severity="warning",
        column=None,
        count=missing,
        message=(
            f"tenant {tenant}: {_ADJECTIVE[frequency]} with {text}. Lags and the seasonal "
            f"baseline count {unit}s, so a gap shifts them: fill the missing {unit}s at the "
            "source if they are zeros"
        ),
        examples=(text,),
    )


def _days(step: float) -> str:
    if step < 1:
        return f"{step * 24:g} hours"
    return f"{step:g} days"
