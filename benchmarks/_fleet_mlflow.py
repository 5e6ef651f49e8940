"""The MLflow arm's worker: the floor's model work wrapped in the usual MLflow recipe.

Per tenant, what a user following MLflow's docs writes inside the pool worker::

    with mlflow.start_run(run_name=...):
        mlflow.log_params(...)
        booster = lgb.train(...)
        mlflow.log_metrics(...)
        mlflow.lightgbm.log_model(booster, name="model", registered_model_name=...)

The tracking URI (a SQLite file) comes from ``MLFLOW_TRACKING_URI``; the experiment, with a
local artifact root, is created once by the parent. Both workers write to the same SQLite file
concurrently, as they would in a user's script. A tenant whose logging hits "database is
locked" is retried (up to ``RETRIES`` times) the way a user would wrap it; the attempts are
counted and reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import mlflow
import mlflow.lightgbm

from _fleet_work import ModelSetup, TenantMatrices, TenantResult, fit_predict

RETRIES = 5


@dataclass(frozen=True)
class MlflowSetup:
    """The worker's configuration: model setup, experiment, and requirement pinning."""

    model: ModelSetup
    experiment_id: str
    registered_prefix: str
    # None: MLflow's default (infer pip requirements by loading the model in a subprocess).
    pip_requirements: tuple[str, ...] | None


_SETUP: MlflowSetup | None = None


def init_mlflow_worker(setup: MlflowSetup) -> None:
    """Pool initializer: keep the setup in the worker."""
    global _SETUP
    _SETUP = setup


def _is_lock_error(exc: BaseException) -> bool:
    text = f"{exc!r} {exc.__cause__!r}".lower()
    return "database is locked" in text or "database table is locked" in text


def mlflow_task(task: TenantMatrices) -> TenantResult:
    """One tenant: MLflow run, params, fit, metrics, log_model with registration."""
    setup = _SETUP
    assert setup is not None, "init_mlflow_worker did not run"
    started = time.perf_counter()
    attempt = 0
    while True:
        attempt += 1
        try:
            fit_seconds, metrics = _log_tenant(setup, task)
            break
        except Exception as exc:
            if attempt >= RETRIES or not _is_lock_error(exc):
                raise
            time.sleep(0.05 * attempt)
    total = time.perf_counter() - started
    return TenantResult(
        task.tenant,
        metrics,
        fit_seconds,
        extra_seconds=total - fit_seconds,
        attempts=attempt,
    )


def _log_tenant(setup: MlflowSetup, task: TenantMatrices) -> tuple[float, dict[str, float]]:
    params = {
        "store": task.tenant,
        "n_estimators": setup.model.rounds,
        "train_rows": len(task.y_train),
        "holdout_rows": len(task.y_holdout),
        **setup.model.params,
    }
    with mlflow.start_run(experiment_id=setup.experiment_id, run_name=f"store-{task.tenant}"):
        mlflow.log_params(params)
        clock = time.perf_counter()
        booster, metrics = fit_predict(setup.model, task)
        fit_seconds = time.perf_counter() - clock
        mlflow.log_metrics(metrics)
        mlflow.lightgbm.log_model(
            booster,
            name="model",
            registered_model_name=f"{setup.registered_prefix}{task.tenant}",
            pip_requirements=(
                None if setup.pip_requirements is None else list(setup.pip_requirements)
            ),
        )
    return fit_seconds, metrics
