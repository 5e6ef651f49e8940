"""Per-tenant limits in the spec, enforced by the real process pool on a demo fleet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

import modelfleet
from modelfleet.data.demo import DemoData
from modelfleet.pipeline.executors import LocalProcessExecutor

pytestmark = pytest.mark.slow
SLOW = "2"


def test_a_tenant_past_its_time_limit_fails_alone_with_the_reason(
    tmp_path: Path,
    demo: DemoData,
    edit_spec: Callable[..., None],
    test_families: ModuleType,
) -> None:
    def one_slow_tenant(spec: dict) -> None:
        family = f"sklearn:{test_families.__name__}.SleepyMean"
        spec["model"] = {"family": family, "params": {"seconds": 0.05}}
        spec["tenants"]["include"] = ["1", SLOW, "3"]
        spec["tenants"]["overrides"][SLOW] = {
            "model": {"params": {"seconds": 120.0}},
            "limits": {"seconds": 3},
        }

    edit_spec(demo.spec_path, one_slow_tenant)

    with modelfleet.connect(home=str(tmp_path / "home"), environ={}) as client:
        summary = client.train(demo.spec_path, "dev", executor=LocalProcessExecutor(2))
        stored = {r.tenant: r for r in client.runs(fleet_run_id=summary.fleet_run_id)}

    assert {t: r.status == "failed" for t, r in stored.items()} == {
        "1": False,
        SLOW: True,
        "3": False,
    }
    assert "time limit of 3 s" in (stored[SLOW].reason or "")
    assert stored["1"].resources["peak_rss_mb"] > 0
    assert stored["1"].resources["cpu_seconds"] >= 0
