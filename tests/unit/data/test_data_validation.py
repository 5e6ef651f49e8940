"""Per-tenant checks on canonical tables: nulls, ranges, duplicates, future dates, history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from modelfleet.config.spec import FleetSpec, ValidationSpec
from modelfleet.data.canonical import Finding
from modelfleet.data.validation import validate
from modelfleet.errors import ConfigError

Build = Callable[..., FleetSpec]
NOW = datetime(2030, 1, 1)
START = datetime(2024, 1, 1)


def canonical(
    tenant: str,
    days: int,
    *,
    sales: Sequence[float | None] | None = None,
    promo: Sequence[int | None] | None = None,
    dates: Sequence[datetime] | None = None,
) -> pa.Table:
    """Canonical rows of one tenant, one per day from START, cited as lines 2.. of sales.csv."""
    stamps = list(dates) if dates is not None else [START + timedelta(days=i) for i in range(days)]
    n = len(stamps)
    return pa.table(
        {
            "_tenant": [tenant] * n,
            "store": [tenant] * n,
            "date": pa.array(stamps, pa.timestamp("us")),
            "sales": pa.array(list(sales) if sales is not None else [1.0] * n, pa.float64()),
            "promo": pa.array(list(promo) if promo is not None else [0] * n, pa.int64()),
            "_source": ["sales.csv line"] * n,
            "_row": list(range(2, n + 2)),
        }
    )


def run(
    make_spec: Build,
    *tables: pa.Table,
    checks: dict[str, Any] | None = None,
    bad_cells: dict[tuple[str, str], int] | None = None,
) -> list[Finding]:
    spec = make_spec(checks=checks or {})
    return validate(
        pa.concat_tables(tables),
        schema=spec.data_schema,
        checks=spec.checks,
        validation=ValidationSpec(horizon=7, min_train_periods=14),
        now=NOW,
        bad_cells=bad_cells or {},
    )


def test_clean_data_has_no_findings(make_spec: Build) -> None:
    assert run(make_spec, canonical("1", 30), canonical("2", 30)) == []


def test_null_target_is_an_error_citing_lines(make_spec: Build) -> None:
    (finding,) = run(make_spec, canonical("1", 30, sales=[None, 1.0, None] + [1.0] * 27))
    assert (finding.tenant, finding.check, finding.severity, finding.column, finding.count) == (
        "1",
        "nulls",
        "error",
        "sales",
        2,
    )
    assert finding.examples == ("sales.csv line 2", "sales.csv line 4")
    assert finding.message.startswith("tenant 1: 2 of 30 rows have no value for 'sales'")


def test_null_declared_column_is_a_warning(make_spec: Build) -> None:
    (finding,) = run(make_spec, canonical("1", 30, promo=[None] + [0] * 29))
    assert (finding.severity, finding.column, finding.count) == ("warning", "promo", 1)
    assert "checks.nullable" in finding.message


def test_nullable_columns_are_not_reported(make_spec: Build) -> None:
    table = canonical("1", 30, promo=[None] * 30)
    assert run(make_spec, table, checks={"nullable": ["promo"]}) == []


def test_column_without_any_value_hints_at_the_source(make_spec: Build) -> None:
    (finding,) = run(make_spec, canonical("1", 30, promo=[None] * 30))
    assert "no values at all for this tenant" in finding.message


def test_cells_that_failed_conversion_are_not_counted_as_nulls(make_spec: Build) -> None:
    table = canonical("1", 30, sales=[None, None] + [1.0] * 28)
    findings = run(make_spec, table, bad_cells={("1", "sales"): 1})
    (finding,) = findings
    assert finding.count == 1


def test_range_violation_uses_the_spec_severity(make_spec: Build) -> None:
    table = canonical("1", 30, sales=[-5.0, 2.0, 200.0] + [1.0] * 27)
    checks = {"ranges": {"sales": {"min": 0, "max": 100, "severity": "warning"}}}
    (finding,) = run(make_spec, table, checks=checks)
    assert (finding.check, finding.severity, finding.count) == ("range", "warning", 2)
    assert finding.examples == ("sales.csv line 2: -5.0", "sales.csv line 4: 200.0")
    assert "allowed range [0, 100] (checks.ranges.sales)" in finding.message


def test_range_on_a_text_column_is_a_config_error(make_spec: Build) -> None:
    spec = make_spec(
        schema={
            "tenant_key": "store",
            "timestamp": "date",
            "target": "sales",
            "columns": {"promo": "int", "kind": "str"},
        },
        checks={"ranges": {"kind": {"min": 0}}},
    )
    with pytest.raises(ConfigError, match=r"checks\.ranges\.kind: 'kind' is of type str"):
        validate(
            canonical("1", 30).append_column("kind", pa.array(["a"] * 30)),
            schema=spec.data_schema,
            checks=spec.checks,
            validation=spec.validation,
            now=NOW,
            bad_cells={},
        )


def test_duplicate_timestamps_are_an_error_citing_both_rows(make_spec: Build) -> None:
    dates = [START + timedelta(days=i) for i in range(30)]
    (finding,) = run(make_spec, canonical("1", 31, dates=[*dates, dates[3]]))
    assert (finding.check, finding.severity, finding.count) == ("duplicates", "error", 1)
    assert finding.examples == ("2024-01-04 (sales.csv line 5 and sales.csv line 32)",)
    assert "Keep one row per timestamp" in finding.message


@pytest.mark.parametrize(("policy", "expected"), [("error", 1), ("warning", 1), ("allow", 0)])
def test_future_timestamps_follow_the_policy(make_spec: Build, policy: str, expected: int) -> None:
    dates = [NOW - timedelta(days=29 - i) for i in range(29)] + [NOW + timedelta(days=3)]
    findings = run(make_spec, canonical("1", 30, dates=dates), checks={"future_timestamps": policy})
    assert len(findings) == expected
    if findings:
        assert findings[0].severity == policy
        assert findings[0].examples == ("2030-01-04 (sales.csv line 31)",)


def test_short_history_is_an_error_naming_the_settings(make_spec: Build) -> None:
    findings = run(make_spec, canonical("1", 20), canonical("2", 21))
    (finding,) = findings
    assert (finding.tenant, finding.check, finding.count) == ("1", "history", 20)
    assert "needs at least 21 (validation.horizon 7 + validation.min_train_periods 14)" in (
        finding.message
    )


def test_checks_run_per_tenant(make_spec: Build) -> None:
    bad = canonical("b", 30, sales=[None] * 30)
    assert {f.tenant for f in run(make_spec, canonical("a", 30), bad)} == {"b"}
