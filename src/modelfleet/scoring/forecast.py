"""Forecast rows: the dates asked for, with features built as training built them.

A forecast request names dates (or a horizon) and the covariates known ahead for them. The
tenant's recent rows come from the online store (:mod:`modelfleet.features.history`); the
asked dates are appended as rows with their covariates (a static attribute the request leaves
out keeps the tenant's value), and the fleet's own feature build
(:func:`~modelfleet.features.forecast.build_forecast_features`) runs on that small table. So a
date's lags and windows are read as of its origin (the date minus the horizon) from the same
history, with the same types and code, as in training: the forecast equals training's
prediction for that date.

A date is servable when its origin is at most the latest stored target (later dates need
targets nobody has seen yet) and its history reaches back far enough; others are refused with
the range that can be served.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from modelfleet.config.blocks import PERIOD_DAYS
from modelfleet.config.spec import FleetSpec
from modelfleet.data.canonical import TENANT_COLUMN
from modelfleet.errors import InputError
from modelfleet.features.forecast import build_forecast_features
from modelfleet.features.history import is_complete, lookback_periods
from modelfleet.quoting import excerpt
from modelfleet.scoring.inputs import Problem, parse_timestamps
from modelfleet.training.defaults import with_feature_defaults

MAX_DATES = 3660


@dataclass(frozen=True, eq=False)
class ForecastRows:
    """The asked dates (in request order) with every feature column, ready for the model."""

    table: pa.Table
    timestamps: np.ndarray  # datetime64[ns]


def _day(stamp: np.datetime64) -> str:
    return str(stamp.astype("datetime64[D]"))


def _dates(
    horizon: int | None, records: Sequence[Any], timestamp: str, last: np.datetime64, step: Any
) -> tuple[np.ndarray, list[Mapping[str, Any]]]:
    """The asked dates and each date's covariates (empty for a horizon request)."""
    if (horizon is None) == (not records):
        raise InputError(
            "send either records (a timestamp and the covariates known ahead per date) or a "
            "horizon (how many periods after the latest known target), not both or neither",
            ((("body",), "needs records or horizon", "missing"),),
        )
    if horizon is not None:
        if not 1 <= horizon <= MAX_DATES:
            raise InputError(
                f"horizon {horizon} is out of range; ask for 1 to {MAX_DATES} periods",
                ((("body", "horizon"), "out of range", "value_error"),),
            )
        stamps = last + np.arange(1, horizon + 1) * step
        return stamps.astype("datetime64[ns]"), [{} for _ in range(horizon)]
    if len(records) > MAX_DATES:
        raise InputError(
            f"{len(records)} dates in one request; at most {MAX_DATES}",
            ((("body", "records"), "too many dates", "too_long"),),
        )
    problems: list[Problem] = []
    shaped: list[Mapping[str, Any]] = []
    for row, record in enumerate(records):
        if not isinstance(record, Mapping) or timestamp not in record:
            problems.append((("records", row), f"needs an object with {timestamp!r}", "missing"))
            shaped.append({})
        else:
            shaped.append(record)
    stamps = parse_timestamps([r.get(timestamp) for r in shaped], problems, timestamp)
    if problems:
        _refuse("the forecast dates are invalid", problems)
    return stamps, shaped


def _refuse(what: str, problems: list[Problem]) -> None:
    listed = "; ".join(f"{'.'.join(str(p) for p in loc)}: {m}" for loc, m, _ in problems[:20])
    raise InputError(f"{what}: {listed}", tuple(problems[:20]))


def _column(values: list[Any], kind: pa.DataType, name: str, problems: list[Problem]) -> pa.Array:
    try:
        return pa.array(values, type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        for row, value in enumerate(values):
            try:
                pa.array([value], type=kind)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
                problems.append(
                    (
                        ("records", row, name),
                        f"{excerpt(value)} is not a {kind} value; send one like training's",
                        "type_error",
                    )
                )
                break
        return pa.nulls(len(values), kind)


def forecast_rows(
    spec: FleetSpec,
    tenant: str,
    history: pa.Table,
    *,
    frequency: Any,
    horizon: int | None,
    records: Sequence[Any],
    feature_columns: Sequence[str],
) -> ForecastRows:
    """Features for the asked dates of ``tenant`` from its stored ``history`` rows."""
    spec = with_feature_defaults(spec, frequency).for_tenant(tenant)
    schema, h = spec.data_schema, spec.validation.horizon
    step = np.timedelta64(timedelta(days=PERIOD_DAYS[frequency]), "us").astype("timedelta64[ns]")
    stamps_of = history[schema.timestamp].to_numpy().astype("datetime64[ns]")
    known = pc.is_valid(history[schema.target]).to_numpy(zero_copy_only=False)
    if not known.any():
        raise InputError(f"tenant {tenant}: the stored history has no known target; re-train")
    last, first = stamps_of[known].max(), stamps_of.min()
    dates, covariates = _dates(horizon, records, schema.timestamp, last, step)
    latest = last + h * step
    # Cut history reaches back only so far; a tenant's whole history serves every date it has.
    reach = 0 if is_complete(history) else lookback_periods(spec)
    earliest = first + reach * step + h * step
    problems: list[Problem] = []
    for row, date in enumerate(dates):
        if (date - last) % step != np.timedelta64(0, "ns"):
            message = f"{_day(date)} is not on the fleet's {frequency} grid (latest {_day(last)})"
        elif date > latest:
            message = (
                f"{_day(date)} is beyond what can be forecast: the latest known target is "
                f"{_day(last)} and the horizon {h}, so at most {_day(latest)}"
            )
        elif date < earliest:
            message = f"{_day(date)} is before the stored history reaches (from {_day(earliest)})"
        else:
            continue
        problems.append((("records", row, schema.timestamp), message, "out_of_range"))
    if problems:
        _refuse(f"tenant {tenant}: dates outside what can be forecast", problems)
    asked = _asked_rows(history, dates, covariates, spec, stamps_of, problems)
    if problems:
        _refuse(f"tenant {tenant}: covariates do not fit", problems)
    keep = ~np.isin(stamps_of, dates)
    merged = pa.concat_tables([history.filter(pa.array(keep)), asked])
    merged = merged.sort_by([(schema.timestamp, "ascending")])
    built = build_forecast_features(
        merged,
        spec,
        frequency=frequency,
        features=spec.features,
        horizon=h,
        fleet_table=merged,
    )
    table = built.table
    at = table[schema.timestamp].to_numpy().astype("datetime64[ns]")
    position = {int(stamp.astype(np.int64)): index for index, stamp in enumerate(at)}
    picked = [position[int(d.astype(np.int64))] for d in dates]
    missing = [c for c in feature_columns if c not in table.column_names]
    if missing:
        raise InputError(
            f"tenant {tenant}: the model needs {missing}, which the spec no longer builds"
        )
    return ForecastRows(table.take(pa.array(picked)), dates)


def _asked_rows(
    history: pa.Table,
    dates: np.ndarray,
    covariates: Sequence[Mapping[str, Any]],
    spec: FleetSpec,
    stamps_of: np.ndarray,
    problems: list[Problem],
) -> pa.Table:
    """A row per asked date in the history's schema: key, date, known target, covariates."""
    schema = spec.data_schema
    needed = set(spec.features.covariates)
    allowed = set(history.column_names) - {TENANT_COLUMN, schema.target, *schema.tenant_key}
    for row, record in enumerate(covariates):
        for name in record:
            if name not in allowed:
                problems.append(
                    (
                        ("records", row, str(name)[:60]),
                        "unknown field: not a column of this fleet (check the spelling)",
                        "extra_forbidden",
                    )
                )
    by_stamp = {int(s.astype(np.int64)): i for i, s in enumerate(stamps_of)}
    stored = [by_stamp.get(int(d.astype(np.int64))) for d in dates]
    columns: dict[str, pa.Array] = {}
    for field in history.schema:  # a loop over columns; each is built for every date at once
        name, kind = field.name, field.type
        if name == schema.timestamp:
            columns[name] = pa.array(dates.astype("datetime64[us]")).cast(kind)
            continue
        column = history[name]
        constant = pc.count_distinct(column).as_py() == 1 and column.null_count == 0
        if name == TENANT_COLUMN or name in schema.tenant_key or name == schema.target:
            values = [None if i is None else column[i].as_py() for i in stored]
            if name != schema.target:
                values = [column[0].as_py()] * len(dates)
            columns[name] = pa.array(values, type=kind)
            continue
        given = [record.get(name) for record in covariates]
        if constant:  # a static attribute: the tenant's own value unless the request says
            fill = column[0].as_py()
            given = [fill if value is None else value for value in given]
        elif name in needed:
            absent = [_day(d) for d, value in zip(dates, given, strict=True) if value is None]
            if absent:
                problems.append(
                    (
                        ("records", 0, name),
                        f"{name} is known ahead and the model reads it; send it for "
                        f"{', '.join(absent[:5])}{' ...' if len(absent) > 5 else ''}",
                        "missing",
                    )
                )
        columns[name] = _column(given, kind, name, problems)
    return pa.table(columns, schema=history.schema)
