"""The demo fleet trains every store it generates, whatever the number of stores.

With 3 or 4 stores the demo's "tuned" store once coincided with a partner store: two override
blocks under one YAML key, the later one silently won and the partner store never trained.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from modelfleet.client import Client
from modelfleet.data.demo import DemoData
from modelfleet.pipeline.executors import InlineExecutor


@pytest.mark.parametrize("stores", [3, 4, 5, 6])
def test_demo_fleet_trains_every_generated_store(
    stores: int, tmp_path: Path, client: Client, make_demo_fleet: Callable[..., DemoData]
) -> None:
    demo = make_demo_fleet(tmp_path / "demo", stores=stores, days=150)

    summary = client.train(demo.spec_path, "dev", executor=InlineExecutor())

    assert sorted(r.tenant for r in summary.records) == sorted(str(i) for i in range(1, stores + 1))
    assert {demo.berlin_store, demo.shop_store} <= {
        r.tenant for r in summary.records if r.status != "failed"
    }
