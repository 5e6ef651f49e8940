"""One tenant's bad luck stays its own: broken data, failing fits and the quality gate.

Also the fleet run's overall status (succeeded / partial / failed) and its counts, and tuning.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from modelfleet.client import Client
from modelfleet.data.demo import DemoData
from modelfleet.pipeline.executors import InlineExecutor
from modelfleet.pipeline.runner import FleetRunSummary
from modelfleet.tracking.records import FleetRunRecord, TenantRunRecord
from modelfleet.training.tuning import default_space


def _train(client: Client, demo: DemoData, **kwargs: Any) -> FleetRunSummary:
    return client.train(demo.spec_path, "dev", executor=InlineExecutor(), **kwargs)


def _by_tenant(summary: FleetRunSummary) -> dict[str, TenantRunRecord]:
    return {r.tenant: r for r in summary.records}


def _fleet_run(client: Client, summary: FleetRunSummary) -> FleetRunRecord:
    return next(f for f in client.fleet_runs() if f.id == summary.fleet_run_id)


def _duplicate_rows_of(demo: DemoData, store: str, count: int = 3) -> None:
    """Append the first ``count`` rows of ``store`` to the shared sales.csv again."""
    lines = demo.sales_path.read_text(encoding="utf-8").splitlines()
    repeats = [line for line in lines[1:] if line.split(",")[1] == store][:count]
    demo.sales_path.write_text("\n".join([*lines, *repeats]) + "\n", encoding="utf-8")


def test_corrupt_partner_file_fails_only_that_tenant_with_a_source_finding(
    client: Client, demo: DemoData, demo_tenants: tuple[str, ...]
) -> None:
    demo.shop_path.write_bytes(b"this is not parquet")

    runs = _by_tenant(_train(client, demo))

    failed = runs[demo.shop_store]
    assert failed.status == "failed"
    assert "partner_shop.parquet" in (failed.reason or "")
    assert [(f.check, f.severity) for f in failed.findings] == [("source", "error")]
    assert failed.metrics == {} and failed.artifacts == ()
    others = set(demo_tenants) - {demo.shop_store}
    assert {t: runs[t].status != "failed" for t in others} == dict.fromkeys(others, True)


def test_duplicate_rows_fail_only_that_tenant_with_a_duplicates_finding(
    client: Client, demo: DemoData, demo_tenants: tuple[str, ...]
) -> None:
    _duplicate_rows_of(demo, "2")

    runs = _by_tenant(_train(client, demo))

    failed = runs["2"]
    assert failed.status == "failed"
    (finding,) = failed.findings
    assert (finding.check, finding.severity, finding.count) == ("duplicates", "error", 3)
    assert failed.data_fingerprint is not None
    assert all(runs[t].status != "failed" for t in demo_tenants if t != "2")


def test_rerun_records_a_known_validation_failure_once_and_keeps_the_status(
    client: Client, demo: DemoData, demo_tenants: tuple[str, ...]
) -> None:
    _duplicate_rows_of(demo, "2")
    first = _train(client, demo)

    again = _train(client, demo)

    assert [(r.tenant, r.status) for r in first.records if r.status == "failed"] == [
        ("2", "failed")
    ]
    assert (again.records, again.still_failing) == ((), ("2",))
    assert sorted(again.skipped) == sorted(set(demo_tenants) - {"2"})
    assert first.status == again.status == "partial"


def test_candidate_that_cannot_clear_the_gate_is_rejected_when_fallback_is_none(
    client: Client, demo: DemoData, edit_spec: Callable[..., None]
) -> None:
    def edit(spec: dict[str, Any]) -> None:
        spec["gates"].update(min_improvement=0.9)
        spec["model"]["fallback"] = "none"

    edit_spec(demo.spec_path, edit)

    summary = _train(client, demo)

    assert {r.status for r in summary.records} == {"rejected"}
    for run in summary.records:
        assert run.reason is not None
        assert "wmape" in run.reason and "90.0%" in run.reason
        assert "on validation" in run.reason
        assert run.params["gates.min_improvement"] == 0.9
        assert {a.name for a in run.artifacts} >= {"model", "model_meta"}
    assert summary.status == "succeeded"  # a rejection is an outcome, not a failure


def test_tenants_whose_models_lose_get_the_baseline_registered_with_the_reason(
    client: Client, demo: DemoData, edit_spec: Callable[..., None]
) -> None:
    edit_spec(demo.spec_path, lambda s: s["gates"].update(min_improvement=0.9))

    summary = _train(client, demo)

    assert {r.status for r in summary.records} == {"succeeded"}
    for run in summary.records:
        assert run.model_family == "seasonal_naive" and run.params["choice"] == "baseline"
        assert run.reason is not None and run.reason.startswith("fallback to the baseline")
        assert "90.0%" in run.reason
        assert run.metrics == run.baseline_metrics
        assert run.tenant in summary.versions


def test_a_failing_model_fit_fails_only_that_tenant(
    client: Client, demo: DemoData, edit_spec: Callable[..., None], demo_tenants: tuple[str, ...]
) -> None:
    edit_spec(
        demo.spec_path,
        lambda s: s["tenants"]["overrides"].update(
            {"2": {"model": {"params": {"num_leaves": -3}}}}
        ),
    )

    runs = _by_tenant(_train(client, demo))

    assert runs["2"].status == "failed"
    assert "num_leaves" in (runs["2"].reason or "")
    assert runs["2"].baseline_metrics == {} and runs["2"].artifacts == ()
    assert all(runs[t].status != "failed" for t in demo_tenants if t != "2")


def test_fleet_run_is_partial_when_some_tenants_fail(
    client: Client, demo: DemoData, demo_tenants: tuple[str, ...]
) -> None:
    _duplicate_rows_of(demo, "1")
    demo.shop_path.write_bytes(b"garbage")

    summary = _train(client, demo)

    fleet_run = _fleet_run(client, summary)
    assert summary.status == fleet_run.status == "partial"
    assert fleet_run.failed == summary.count("failed") == 2
    assert fleet_run.succeeded + fleet_run.rejected == len(demo_tenants) - 2
    assert fleet_run.succeeded == summary.count("succeeded")


def test_fleet_run_is_failed_when_every_tenant_fails(
    client: Client, demo: DemoData, edit_spec: Callable[..., None], demo_tenants: tuple[str, ...]
) -> None:
    # (store 3 overrides num_leaves, so break a param no override touches)
    edit_spec(demo.spec_path, lambda s: s["model"]["params"].update(objective="no-such-objective"))

    summary = _train(client, demo)

    fleet_run = _fleet_run(client, summary)
    assert summary.status == fleet_run.status == "failed"
    assert fleet_run.failed == len(demo_tenants)
    assert (fleet_run.succeeded, fleet_run.rejected) == (0, 0)


def test_tuning_records_every_trial_and_fits_with_the_best_params(
    client: Client, demo: DemoData, edit_spec: Callable[..., None]
) -> None:
    def tune_three(spec: dict[str, Any]) -> None:
        spec["tuning"] = {"enabled": True, "trials": 3, "timeout_seconds": 120}
        spec["tenants"]["include"] = ["1", "2"]

    edit_spec(demo.spec_path, tune_three)
    space = default_space("lightgbm")

    summary = _train(client, demo)

    assert len(summary.records) == 2
    for run in summary.records:
        assert run.status != "failed", run.reason
        assert [t.number for t in run.trials] == [0, 1, 2]
        assert all(t.state == "complete" and math.isfinite(t.value) for t in run.trials)
        for trial in run.trials:
            assert set(trial.params) <= set(space)
            assert all(space[name].contains(value) for name, value in trial.params.items())
        best = min(run.trials, key=lambda t: t.value)
        assert {k: run.params[f"model.{k}"] for k in best.params} == dict(best.params)
        assert "tune" in run.timings


def test_tuned_runs_read_back_from_the_store_with_their_trials(
    client: Client, demo: DemoData, edit_spec: Callable[..., None]
) -> None:
    def tune_one(spec: dict[str, Any]) -> None:
        spec["tuning"] = {"enabled": True, "trials": 3, "timeout_seconds": 120}
        spec["tenants"]["include"] = ["1"]

    edit_spec(demo.spec_path, tune_one)

    (run,) = _train(client, demo).records

    assert client.run(run.run_id).trials == run.trials
