"""LightGBM behind the model family protocol, saved in LightGBM's own text format."""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np

from modelfleet.config.spec import Task
from modelfleet.errors import TrainingError
from modelfleet.training.frames import FeatureFrame, check_target, check_task

FAMILY = "lightgbm"
_FORMAT = "modelfleet.lightgbm"
_DEFAULT_ROUNDS = 100
_BINARY_OBJECTIVES = frozenset({"binary", "cross_entropy", "xentropy"})
# Objectives whose output is not "a number per row" or "a probability of class 1".
_NON_REGRESSION_OBJECTIVES = frozenset(
    {"binary", "multiclass", "softmax", "multiclassova", "multiclass_ova", "ova", "ovr"}
    | {"lambdarank", "rank_xendcg", "xendcg", "xe_ndcg", "xe_ndcg_mart", "xendcg_mart"}
)
# The frame decides these; letting params override them would desynchronise model and frame.
_RESERVED = frozenset({"categorical_feature"})


@dataclass(frozen=True, eq=False)
class LightGBMEstimator:
    """A trained booster plus the feature names it expects, in training order."""

    booster: lgb.Booster
    features: tuple[str, ...]
    categorical: tuple[str, ...]
    task: Task
    num_threads: int = 1
    family: str = FAMILY

    def predict(self, frame: FeatureFrame) -> np.ndarray:
        """Select the trained columns by name, in trained order, and predict."""
        matrix = frame.to_matrix(self.features, family=FAMILY)
        if frame.num_rows == 0:
            return np.empty(0, dtype=np.float64)
        try:
            raw = self.booster.predict(matrix, num_threads=self.num_threads)
        except (lgb.basic.LightGBMError, ValueError) as exc:
            raise TrainingError(f"lightgbm could not predict: {exc}") from exc
        return np.asarray(raw, dtype=np.float64)

    def to_bytes(self) -> bytes:
        """The booster in LightGBM's own text format, nothing added (no pickle).

        Any LightGBM can load the file (``lightgbm.Booster(model_file=...)``); modelfleet's own
        description of the model (exact column names, task) lives in the package metadata
        saved beside it, not inside it.
        """
        return self.booster.model_to_string().encode()


class LightGBMFamily:
    """Gradient-boosted trees for regression (any LightGBM objective) and binary tasks."""

    name = FAMILY

    def fit(
        self, frame: FeatureFrame, target: np.ndarray, task: Task, params: Mapping[str, Any]
    ) -> LightGBMEstimator:
        """Train with ``lgb.train``; params use LightGBM names or aliases (n_estimators, ...)."""
        y = check_target(target, frame.num_rows, task, family=FAMILY)
        names = list(frame.column_names)
        if not names:
            raise TrainingError("model family 'lightgbm' needs at least one feature column")
        return fit_matrix(
            frame.to_matrix(names, family=FAMILY), y, names, frame.categorical, task, params
        )

    def load(self, blob: bytes) -> LightGBMEstimator:
        """Rebuild the booster with ``lgb.Booster(model_str=...)``; names and task come from it.

        Bytes saved before packages existed start with a one-line JSON header (names, task);
        those still load, the header taking precedence over what the model text says.
        """
        try:
            if blob.startswith(b"{"):
                return _load_with_header(blob)
            booster = lgb.Booster(model_str=blob.decode())
            objective = str(booster.params.get("objective", "regression")).split()[0]
            names = tuple(str(name) for name in booster.feature_name())
            indices = booster.params.get("categorical_feature") or []
            return LightGBMEstimator(
                booster=booster,
                features=names,
                categorical=tuple(names[int(i)] for i in indices),
                task="binary_classification" if objective in _BINARY_OBJECTIVES else "regression",
            )
        except (
            ValueError,
            KeyError,
            IndexError,
            TypeError,
            UnicodeDecodeError,
            TrainingError,
            lgb.basic.LightGBMError,
        ) as exc:
            raise TrainingError(
                f"cannot load a 'lightgbm' model from these bytes ({exc}); was it saved by "
                "another family? Load it with the family recorded next to the artifact"
            ) from exc


def fit_matrix(
    matrix: np.ndarray,
    target: np.ndarray,
    names: Sequence[str],
    categorical: Sequence[str],
    task: Task,
    params: Mapping[str, Any],
    *,
    what: str = "the training run",
) -> LightGBMEstimator:
    """One ``lgb.train`` on a float64 matrix whose columns are ``names`` (the shared core of
    per-tenant fits and the fleet's pooled fit)."""
    booster_params, rounds = build_params(params, task)
    names = list(names)
    try:
        dataset = lgb.Dataset(
            matrix,
            label=target,
            feature_name=names,
            categorical_feature=[names.index(c) for c in categorical] or "auto",
            params=booster_params,
            free_raw_data=True,
        )
        # keep_training_booster=True skips lgb.train's closing model_to_string +
        # model_from_string round trip (about 8.5 ms of CPU per tenant; to_bytes writes the
        # text once anyway). The trees are the same, so predictions, saved bytes and a
        # loaded model's predictions are identical to before. free_dataset() drops the
        # booster's reference to the training Dataset, as that round trip did. The booster
        # keeps its C++ training state (scores, gradients) until it is freed with the
        # estimator; it never trains again, and predicting or saving never reads that state.
        booster = lgb.train(
            booster_params, dataset, num_boost_round=rounds, keep_training_booster=True
        )
        booster.free_dataset()
    except (lgb.basic.LightGBMError, ValueError, TypeError) as exc:
        raise TrainingError(
            f"lightgbm rejected {what} with params {dict(params)}: {exc}. "
            "Fix the named parameter's value in the fleet spec"
        ) from exc
    return LightGBMEstimator(
        booster=booster,
        features=tuple(names),
        categorical=tuple(categorical),
        task=task,
        num_threads=int(booster_params["num_threads"]),
    )


def predict_matrix(estimator: LightGBMEstimator, matrix: np.ndarray, threads: int) -> np.ndarray:
    """The booster's raw predictions for a float64 matrix in its own column order."""
    if len(matrix) == 0:
        return np.empty(0, dtype=np.float64)
    try:
        raw = estimator.booster.predict(matrix, num_threads=threads)
    except (lgb.basic.LightGBMError, ValueError) as exc:
        raise TrainingError(f"lightgbm could not predict: {exc}") from exc
    return np.asarray(raw, dtype=np.float64)


def _load_with_header(blob: bytes) -> LightGBMEstimator:
    """Read the pre-package layout: a ``modelfleet.lightgbm`` JSON line, then the model text."""
    head, sep, body = blob.partition(b"\n")
    header = json.loads(head)
    if not sep or not isinstance(header, dict) or header.get("format") != _FORMAT:
        raise ValueError("missing modelfleet.lightgbm header")
    return LightGBMEstimator(
        booster=lgb.Booster(model_str=body.decode()),
        features=tuple(str(name) for name in header["features"]),
        categorical=tuple(str(name) for name in header["categorical"]),
        task=check_task(header["task"]),
    )


@functools.cache
def _aliases() -> dict[str, str]:
    """Map every LightGBM parameter name and alias to its canonical name.

    The table comes from the LightGBM library itself (``LGBM_DumpParamAliases``) so it matches
    the installed version; LightGBM only warns about unknown params, we want an error.
    """
    table: dict[str, list[str]] = lgb.basic._ConfigAliases._get_all_param_aliases()
    mapping = {canonical: canonical for canonical in table}
    for canonical, aliases in table.items():
        for alias in aliases:
            mapping.setdefault(alias, canonical)
    return mapping


def build_params(params: Mapping[str, Any], task: Task) -> tuple[dict[str, Any], int]:
    """Validate user params and return (booster params, boosting rounds).

    Keys are canonicalised through LightGBM's alias table so ``n_estimators`` and
    ``num_boost_round`` both work, and two aliases of one parameter are a clear error.
    """
    aliases = _aliases()
    canonical: dict[str, tuple[str, Any]] = {}
    for key, value in params.items():
        name = aliases.get(key)
        if name is None:
            close = difflib.get_close_matches(key, list(aliases), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise TrainingError(f"model family 'lightgbm': unknown param {key!r}{hint}")
        if name in _RESERVED:
            raise TrainingError(
                f"model family 'lightgbm': param {key!r} is set from the feature spec "
                "(categorical columns); remove it from the params"
            )
        if name in canonical:
            raise TrainingError(
                f"model family 'lightgbm': params {canonical[name][0]!r} and {key!r} are aliases "
                f"of the same LightGBM parameter {name!r}; keep one"
            )
        canonical[name] = (key, value)

    key, rounds = canonical.pop("num_iterations", ("n_estimators", _DEFAULT_ROUNDS))
    if isinstance(rounds, bool) or not isinstance(rounds, int | np.integer) or rounds < 1:
        raise TrainingError(
            f"model family 'lightgbm': param {key!r} must be a positive integer, got {rounds!r}"
        )
    # Parallelism is across tenants, so one thread per model unless the spec says otherwise.
    booster_params: dict[str, Any] = {"verbosity": -1, "num_threads": 1}
    booster_params["objective"] = "binary" if task == "binary_classification" else "regression"
    booster_params.update({name: value for name, (_, value) in canonical.items()})
    _check_objective(str(booster_params["objective"]), canonical.get("objective", ("",))[0], task)
    threads = booster_params["num_threads"]
    if isinstance(threads, bool) or not isinstance(threads, int | np.integer):
        key = canonical["num_threads"][0]
        raise TrainingError(
            f"model family 'lightgbm': param {key!r} must be an integer (0 = all cores), "
            f"got {threads!r}"
        )
    return booster_params, int(rounds)


def _check_objective(objective: str, key: str, task: Task) -> None:
    """Refuse objectives whose predictions do not mean what the task promises."""
    if task == "binary_classification" and objective not in _BINARY_OBJECTIVES:
        raise TrainingError(
            f"model family 'lightgbm': param {key!r}={objective!r} does not predict a class-1 "
            f"probability; for binary_classification use one of {sorted(_BINARY_OBJECTIVES)}"
        )
    if task == "regression" and objective in _NON_REGRESSION_OBJECTIVES:
        raise TrainingError(
            f"model family 'lightgbm': param {key!r}={objective!r} is not a regression "
            "objective; use e.g. regression, regression_l1, huber, poisson or tweedie"
        )
