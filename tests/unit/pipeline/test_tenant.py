"""The per-tenant task: the holdout split at the forecast origin, categorical encoding, and
failures coming back as records."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pyarrow as pa
import pytest

from modelfleet.artifacts import open_artifact_store
from modelfleet.errors import TrainingError
from modelfleet.pipeline.tenant import TenantTask, split_holdout, train_tenant
from modelfleet.tracking.signature import Signature, SignatureField
from modelfleet.training.package import ModelPackage

START = np.datetime64("2024-01-01", "D")
TaskFactory = Callable[..., TenantTask]
FrameFactory = Callable[..., pa.Table]


def _days(stamps: np.ndarray) -> list[int]:
    return ((stamps.astype("datetime64[D]") - START).astype(int)).tolist()


def test_holdout_is_the_last_horizon_periods(make_task: TaskFactory, frame: FrameFactory) -> None:
    split = split_holdout(make_task(frame(60), horizon=7))

    assert _days(split.holdout.timestamps) == list(range(53, 60))
    assert _days(split.train.timestamps) == list(range(53))
    assert split.y_holdout.tolist() == [100.0 + d for d in range(53, 60)]


def test_holdout_is_measured_on_the_calendar_not_in_rows(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    # Three days missing inside the last week: the holdout is still the last 7 days (4 rows),
    # not the last 7 rows.
    task = make_task(frame(60, skip=(54, 56, 57)), horizon=7)
    validation = task.spec.validation.model_copy(update={"min_holdout_rows": 4})
    split = split_holdout(
        replace(task, spec=task.spec.model_copy(update={"validation": validation}))
    )

    assert _days(split.holdout.timestamps) == [53, 55, 58, 59]
    assert max(_days(split.train.timestamps)) == 52


def test_rows_without_a_known_target_are_in_neither_part(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    # Days 60..64 are future rows (covariates known, target not): the origin is 7 days before
    # the last known target, and the unknown rows are neither trained on nor scored.
    split = split_holdout(make_task(frame(65, unknown_after=60), horizon=7))

    assert _days(split.holdout.timestamps) == list(range(53, 60))
    assert len(split.y_train) + len(split.y_holdout) == 60
    assert not np.isnan(split.y_holdout).any()


def test_history_shorter_than_the_horizon_is_a_training_error(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    with pytest.raises(TrainingError, match="not enough history"):
        split_holdout(make_task(frame(5), horizon=7))


def test_vocabulary_comes_from_training_rows_only(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    regions = ["north"] * 53 + ["south"] * 7  # "south" appears only in the holdout

    split = split_holdout(make_task(frame(60, regions=regions), horizon=7))

    assert split.meta.vocabulary == {"region": ("north",)}


def test_category_seen_only_in_the_holdout_is_encoded_as_null(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    regions = ["north", "east"] * 26 + ["north"] + ["south", "north"] * 3 + ["south"]

    split = split_holdout(make_task(frame(60, regions=regions), horizon=7))

    holdout = split.holdout.features["region"].to_pylist()
    assert holdout == [None, 1, None, 1, None, 1, None]  # vocabulary: east=0, north=1
    assert split.train.features["region"].null_count == 0


def test_train_tenant_saves_the_training_vocabulary_next_to_the_model(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    regions = ["north", "east"] * 26 + ["north"] + ["south"] * 7
    task = make_task(frame(60, regions=regions), horizon=7)

    record = train_tenant(task)

    assert record.status in ("succeeded", "rejected"), record.reason
    meta_ref = next(a for a in record.artifacts if a.name == "model_meta")
    meta = json.loads(open_artifact_store(task.artifacts_url).get_bytes(meta_ref.digest))
    assert meta["vocabulary"] == {"region": ["east", "north"]}
    assert meta["categorical"] == ["region"]


def test_train_tenant_returns_a_failed_record_instead_of_raising(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    record = train_tenant(make_task(frame(5), horizon=7))

    assert record.status == "failed"
    assert record.reason is not None and record.reason.startswith("TrainingError:")
    assert "horizon" in record.reason
    assert record.metrics == {} and record.artifacts == ()


def test_train_tenant_names_where_an_unexpected_error_happened(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    # A feature column the frame does not have: a plain KeyError, not a modelfleet error.
    task = make_task(frame(60), feature_columns=("lag_7", "no_such_column"))

    record = train_tenant(task)

    assert record.status == "failed"
    assert record.reason is not None
    assert "no_such_column" in record.reason and " (at " in record.reason


@pytest.mark.parametrize(("min_improvement", "status"), [(0.0, "succeeded"), (1.0, "rejected")])
def test_train_tenant_records_the_models_signature_whatever_the_gate_says(
    make_task: TaskFactory, frame: FrameFactory, min_improvement: float, status: str
) -> None:
    task = make_task(frame(60), horizon=7)
    # Against the mean of a trending series, a pass needs little; 100% better is impossible.
    gates = task.spec.gates.model_copy(update={"min_improvement": min_improvement})
    baseline = task.spec.baseline.model_copy(update={"family": "mean"})
    # fallback none: a candidate that loses is rejected (no baseline version instead).
    model = task.spec.model.model_copy(update={"fallback": "none"})
    spec = task.spec.model_copy(update={"gates": gates, "baseline": baseline, "model": model})
    task = replace(task, spec=spec)

    record = train_tenant(task)

    assert record.status == status, record.reason
    assert record.signature == Signature(
        (
            SignatureField("lag_7", "double"),
            SignatureField("promo", "int64"),
            SignatureField("region", "string", categorical=True),
        ),
        SignatureField("sales", "float64"),
    )


def test_a_failed_train_tenant_records_no_signature(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    assert train_tenant(make_task(frame(5), horizon=7)).signature is None


def test_train_tenant_saves_a_package_with_the_feature_view_versions_of_its_lineage(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    lineage = {"package.numpy": "2.0", "feature_view.sales_daily": "v3", "feature_view.promo": "v1"}
    task = make_task(frame(60), horizon=7, lineage=lineage)

    record = train_tenant(task)

    meta_ref = next(a for a in record.artifacts if a.name == "model_meta")
    package = ModelPackage.load(open_artifact_store(task.artifacts_url), meta_ref.digest)
    assert package.meta.feature_views == (("promo", "v1"), ("sales_daily", "v3"))
    assert package.meta.signature == record.signature


def _with_validation(task: TenantTask, **changes: object) -> TenantTask:
    validation = task.spec.validation.model_copy(update=changes)
    return replace(task, spec=task.spec.model_copy(update={"validation": validation}))


def test_a_holdout_below_min_holdout_rows_fails_the_tenant_with_the_reason(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    # Four rows left in the last week; the daily default asks for seven.
    record = train_tenant(make_task(frame(60, skip=(54, 56, 57)), horizon=7))

    assert record.status == "failed"
    assert record.reason is not None and "min_holdout_rows=7" in record.reason


def test_the_validation_window_sits_between_fit_rows_and_the_holdout(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    task = _with_validation(make_task(frame(60), horizon=7), window=10, folds=1)
    split = split_holdout(task)

    assert _days(split.fit.timestamps) == list(range(43))
    assert _days(split.valid.timestamps) == list(range(43, 53))
    assert _days(split.holdout.timestamps) == list(range(53, 60))


def test_tuning_searches_only_rows_before_the_validation_window(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    from modelfleet.pipeline.candidates import _inner_split

    split = split_holdout(make_task(frame(60), horizon=7))
    fit, _, valid, _ = _inner_split(split.fit, split.y_fit, 7)

    assert max(_days(valid.timestamps)) < min(_days(split.valid.timestamps))
    assert max(_days(fit.timestamps)) < min(_days(valid.timestamps))


def test_a_fallback_tenant_saves_the_baseline_package_scoring_the_recorded_holdout(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    task = make_task(frame(60), horizon=7)
    gates = task.spec.gates.model_copy(update={"min_improvement": 1.0})  # no model can pass
    task = replace(task, spec=task.spec.model_copy(update={"gates": gates}))

    record = train_tenant(task)

    assert (record.status, record.model_family, record.params["choice"]) == (
        "succeeded",
        "seasonal_naive",
        "baseline",
    )
    store = open_artifact_store(task.artifacts_url)
    meta = next(a for a in record.artifacts if a.name == "model_meta")
    package = ModelPackage.load(store, meta.digest)
    split = split_holdout(task)
    assert package.predict(split.raw_holdout()).tolist() == pytest.approx(
        (split.y_holdout - 7).tolist()  # seasonal naive: the value one week before
    )
    assert record.metrics == record.baseline_metrics


def test_without_refit_the_registered_model_is_the_one_fitted_before_validation(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    task = _with_validation(make_task(frame(60), horizon=7), refit=False, folds=1)

    record = train_tenant(task)

    assert record.params["validation.refit"] is False
    assert "refit" not in record.timings
    assert record.params["data.fit_rows"] == 46


def test_with_folds_every_candidate_is_scored_on_every_folds_window(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    record = train_tenant(_with_validation(make_task(frame(80), horizon=7), folds=3))

    assert record.status == "succeeded"
    assert (record.params["validation.folds"], record.params["data.validation_rows"]) == (3, 21)
    assert record.params["data.fit_rows"] == 80 - 7 - 21


def test_the_validation_score_pools_the_errors_of_every_fold(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    # Seasonal naive on sales = 100 + day is off by exactly one season (7) on every row, so
    # its WMAPE over the three windows together is 7 * 21 / (sum of the 21 actuals).
    record = train_tenant(_with_validation(make_task(frame(80), horizon=7), folds=3))

    actuals = 100.0 + np.arange(80 - 7 - 21, 80 - 7)
    assert record.params["validation.baseline.wmape"] == pytest.approx(7 * 21 / actuals.sum())


def test_a_tenant_too_short_for_every_fold_uses_the_folds_it_can(
    make_task: TaskFactory, frame: FrameFactory
) -> None:
    # 40 days, 7-day holdout and windows: fold 2 would fit on 12 rows, below min_train_periods.
    task = _with_validation(make_task(frame(40), horizon=7), folds=3, min_train_periods=14)

    record = train_tenant(task)

    assert record.params["validation.folds"] == 2
