"""The features the runner builds for holdout rows never see a target after the forecast origin.

Store 1's holdout targets are set to a huge value; if any target feature of a holdout row (or of
any other store's row) looked past the forecast origin, it would carry that value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from modelfleet.client import Client
from modelfleet.data.demo import DemoData
from modelfleet.pipeline.tenant import TenantTask, split_holdout

HUGE = 1e9
HORIZON = 28  # the demo spec's validation.horizon


@dataclass
class Built:
    tasks: dict[str, TenantTask]
    target_columns: tuple[str, ...]  # lag_* and roll_* features


def _make_holdout_huge(demo: DemoData, store: str) -> None:
    """Set ``store``'s sales on its last HORIZON days to HUGE in the shared sales.csv."""
    lines = demo.sales_path.read_text(encoding="utf-8").splitlines()
    rows = [i for i, line in enumerate(lines[1:], start=1) if line.split(",")[1] == store]
    for i in rows[-HORIZON:]:
        fields = lines[i].split(",")
        fields[2] = f"{HUGE:.1f}"
        lines[i] = ",".join(fields)
    demo.sales_path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def built(
    client: Client,
    demo: DemoData,
    recording_executor: Any,
    edit_spec: Callable[..., None],
) -> Built:
    _make_holdout_huge(demo, "1")
    # Lags exactly at the horizon and a window ending at it: the closest a feature may get.
    edit_spec(
        demo.spec_path,
        lambda s: s["features"].update(
            lags=[HORIZON, 35], rolling=[{"window": 7, "stats": ["mean", "max", "sum"]}]
        ),
    )
    client.train(demo.spec_path, "dev", executor=recording_executor)
    task = recording_executor.tasks["1"]
    columns = tuple(c for c in task.feature_columns if c.startswith(("lag_", "roll_")))
    return Built(recording_executor.tasks, columns)


def _largest(table: pa.Table, columns: tuple[str, ...]) -> float:
    values = np.concatenate(
        [table[c].to_numpy(zero_copy_only=False).astype(float) for c in columns]
    )
    return float(np.nanmax(values))


def test_the_holdout_holds_exactly_the_huge_targets(built: Built) -> None:
    split = split_holdout(built.tasks["1"])

    assert len(split.y_holdout) == HORIZON
    assert np.all(split.y_holdout == HUGE)
    assert np.all(split.y_train < HUGE)


def test_target_features_of_holdout_rows_never_see_holdout_targets(built: Built) -> None:
    split = split_holdout(built.tasks["1"])

    assert set(built.target_columns) == {
        f"lag_{HORIZON}",
        "lag_35",
        "roll_7_mean",
        "roll_7_max",
        "roll_7_sum",
    }
    assert _largest(split.holdout.features, built.target_columns) < HUGE / 100


def test_holdout_rows_have_their_lag_at_the_horizon_filled(built: Built) -> None:
    # Not vacuous: the features exist and are known at the origin (not all null).
    split = split_holdout(built.tasks["1"])
    lag = split.holdout.features[f"lag_{HORIZON}"]

    assert lag.null_count == 0


def test_no_other_store_sees_another_stores_targets(built: Built) -> None:
    for tenant, task in built.tasks.items():
        if tenant == "1":
            continue
        split = split_holdout(task)
        assert _largest(split.train.features, built.target_columns) < HUGE / 100
        assert _largest(split.holdout.features, built.target_columns) < HUGE / 100
