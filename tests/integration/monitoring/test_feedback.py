"""Ground truth in the fleet's own format: every row counted once, performance against the
holdout. The actuals sent are the demo export's own rows of the holdout dates, so a tenant whose
logged predictions are the version's holdout predictions scores exactly its recorded WMAPE."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest


def _export(
    logged: Any, path: Path, change: Any = None, extra: tuple[dict[str, str], ...] = ()
) -> Path:
    """The demo's sales rows of each tenant's holdout dates, in the export's own format."""
    with (logged.demo_dir / "sales.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    picked = [
        dict(r) for r in rows if r["date"] in set(logged.holdout_dates.get(r["store_id"], ()))
    ]
    if change is not None:
        picked = [change(r) for r in picked]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([*picked, *extra])
    return path


@pytest.fixture(scope="module")
def sent(logged: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The holdout actuals of every tenant, stored once for the module."""
    path = _export(logged, tmp_path_factory.mktemp("feedback") / "actuals.csv")
    yield logged.client.feedback(logged.spec_path, path)


def _performance(logged: Any, **options: Any) -> Any:
    return logged.client.performance(
        logged.spec_path,
        environment="dev",
        since=datetime(2000, 1, 1, tzinfo=UTC),
        **options,
    )


def _in_export(logged: Any) -> list[str]:
    """The tenants the shared export holds (partners send their own files)."""
    with (logged.demo_dir / "sales.csv").open(newline="") as handle:
        return sorted({r["store_id"] for r in csv.DictReader(handle)} & set(logged.tenants))


def test_every_actual_of_the_export_is_stored_once(logged: Any, sent: Any) -> None:
    expected = sum(len(logged.holdout_dates[t]) for t in _in_export(logged))

    assert sent.rows == expected == sent.new
    assert (sent.revised, sent.unchanged, sent.repeated) == (0, 0, 0)
    assert not sent.unknown_tenants and not sent.invalid
    assert sent.late == expected  # the demo's dates are long past


def test_live_wmape_of_a_tenant_scored_as_at_training_equals_its_holdout(
    logged: Any, sent: Any
) -> None:
    report = _performance(logged)

    tenant = logged.tenants[1]
    (row,) = [r for r in report.rows if r.tenant == tenant and r.arm == "champion"]
    assert row.rows == logged.repeats * len(logged.holdout_dates[tenant])
    assert row.wmape == pytest.approx(row.holdout_wmape, rel=1e-9)
    assert row.change == pytest.approx(0.0, abs=1e-9) and not row.degraded


def test_the_tenant_whose_inputs_jumped_is_degraded(logged: Any, sent: Any) -> None:
    report = _performance(logged)

    degraded = {(r.tenant, r.arm) for r in report.degraded}
    assert (logged.tenants[0], "champion") in degraded
    assert all(r.tenant == logged.tenants[0] for r in report.degraded)


def test_a_version_without_a_holdout_is_reported_without_a_verdict(logged: Any, sent: Any) -> None:
    shadow = [r for r in _performance(logged).rows if r.arm == "shadow"]

    assert shadow and all(r.holdout_wmape is None and not r.degraded for r in shadow)


def test_performance_by_week_splits_each_group_by_the_weeks_predicted(
    logged: Any, sent: Any
) -> None:
    weekly = _performance(logged, by="week")
    whole = _performance(logged)

    tenant = logged.tenants[1]
    weeks = [r for r in weekly.rows if r.tenant == tenant and r.arm == "champion"]
    assert len(weeks) >= 4
    assert sum(r.rows for r in weeks) == next(
        r.rows for r in whole.rows if r.tenant == tenant and r.arm == "champion"
    )
    assert all(r.period.count("-") == 2 for r in weeks)


def test_sending_the_same_actuals_again_changes_nothing_and_a_correction_replaces(
    logged: Any, sent: Any, tmp_path: Path
) -> None:
    again = logged.client.feedback(logged.spec_path, _export(logged, tmp_path / "again.csv"))
    tenant = _in_export(logged)[-1]

    def corrected(row: dict[str, str]) -> dict[str, str]:
        return {**row, "sales": str(float(row["sales"]) + 1)} if row["store_id"] == tenant else row

    try:
        revised = logged.client.feedback(
            logged.spec_path, _export(logged, tmp_path / "fix.csv", corrected)
        )
    finally:  # back to the module's actuals for the other tests
        logged.client.feedback(logged.spec_path, _export(logged, tmp_path / "back.csv"))

    assert (again.new, again.revised, again.unchanged) == (0, 0, sent.rows)
    assert revised.revised == len(logged.holdout_dates[tenant])
    assert revised.unchanged == sent.rows - revised.revised


def test_unknown_tenants_rows_without_a_value_and_repeats_are_counted_not_stored(
    logged: Any, sent: Any, tmp_path: Path
) -> None:
    first = logged.tenants[0]
    date = logged.holdout_dates[first][0]
    extra = (
        {"date": date, "store_id": "999", "sales": "10", "promo": "0", "open": "1"},
        {"date": "2023-03-01", "store_id": first, "sales": "", "promo": "0", "open": "1"},
    )

    path = _export(logged, tmp_path / "mixed.csv", extra=extra)
    with path.open("a", newline="") as handle:  # the first tenant's first date once more
        handle.write(f"{date},{first},1.0,0,1\n")
    try:
        report = logged.client.feedback(logged.spec_path, path)
    finally:
        logged.client.feedback(logged.spec_path, _export(logged, tmp_path / "back.csv"))

    assert report.unknown_tenants == {"999": 1}
    assert report.invalid == {first: 1}
    assert report.repeated == 1
    assert report.revised == 1  # the repeat, kept as the last value, differs from the stored one


def test_the_feedback_command_prints_its_counts_and_json(
    logged: Any, sent: Any, run_cli: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _export(logged, tmp_path / "again.csv")

    code = run_cli("feedback", str(logged.spec_path), "--input", str(path), "--json")

    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    assert code == 0
    assert record["unchanged"] == sent.rows and record["stored"] == 0


def test_feedback_without_the_target_column_is_refused_naming_it(
    logged: Any, run_cli: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "no-target.csv"
    path.write_text("date,store_id,promo,open\n2023-03-01,1,0,1\n")

    code = run_cli("feedback", str(logged.spec_path), "--input", str(path))

    err = " ".join(capsys.readouterr().err.split())
    assert code == 2
    assert "'sales'" in err and "Traceback" not in err


def test_the_performance_command_lists_degraded_groups_first(
    logged: Any, sent: Any, run_cli: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli(
        "monitor", "performance", str(logged.spec_path), "--env", "dev",
        "--since", "2000-01-01T00:00:00Z", "--json",
    )  # fmt: skip

    records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    assert code == 0
    assert records[0]["record"] == "summary" and records[0]["degraded"] >= 1
    assert {r["tenant"] for r in records[1:] if r["degraded"]} == {logged.tenants[0]}
