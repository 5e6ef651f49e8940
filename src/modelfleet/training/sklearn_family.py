"""Any scikit-learn estimator, by import path, saved with skops (never pickle)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import skops.io as sio

from modelfleet.config.spec import Task
from modelfleet.errors import TrainingError
from modelfleet.training.frames import FeatureFrame, check_target, check_task

PREFIX = "sklearn:"
_FORMAT = "modelfleet.sklearn"
# Trust policy for loading: skops refuses types outside its default allow-list unless the
# caller names them. We name only types from libraries modelfleet already depends on and runs
# (scikit-learn, NumPy, SciPy): a blob that references anything else (another package, a user
# module, builtins such as eval) is refused before any object is built. The consequence is
# that estimators from third-party packages can be trained but not loaded back; that is a
# deliberate trade for never executing code from an artifact.
TRUSTED_ROOTS = frozenset({"sklearn", "numpy", "scipy"})


@dataclass(frozen=True, eq=False)
class SklearnEstimator:
    """A fitted scikit-learn estimator plus the feature names it expects, in training order."""

    estimator: Any
    path: str
    features: tuple[str, ...]
    task: Task

    @property
    def family(self) -> str:
        """``sklearn:<import path>``, the name that resolves back to this family."""
        return f"{PREFIX}{self.path}"

    def predict(self, frame: FeatureFrame) -> np.ndarray:
        """Regression: ``predict``; binary: the ``predict_proba`` column of class 1."""
        matrix = frame.to_matrix(self.features, family=self.family)
        if frame.num_rows == 0:
            return np.empty(0, dtype=np.float64)
        try:
            if self.task == "regression":
                return np.asarray(self.estimator.predict(matrix), dtype=np.float64).ravel()
            proba = np.asarray(self.estimator.predict_proba(matrix), dtype=np.float64)
        except Exception as exc:  # third-party code: translate whatever it raises
            raise TrainingError(
                f"{self.family} could not predict: {exc}{_nan_hint(matrix)}"
            ) from exc
        # Map by class label, not column position: a model trained on one class has one column.
        positive = np.flatnonzero(np.asarray(self.estimator.classes_) == 1)
        if positive.size == 0:
            return np.zeros(frame.num_rows, dtype=np.float64)
        return proba[:, positive[0]]

    def to_bytes(self) -> bytes:
        """Serialise with ``skops.io.dumps`` together with the feature names and task."""
        doc = {
            "format": _FORMAT,
            "version": 1,
            "path": self.path,
            "task": self.task,
            "features": list(self.features),
            "estimator": self.estimator,
        }
        try:
            return bytes(sio.dumps(doc))
        except Exception as exc:  # skops raises TypeError and friends for unsupported objects
            raise TrainingError(f"{self.family}: skops cannot serialise this model: {exc}") from exc


class SklearnFamily:
    """Instantiates the class at ``path`` with the spec's params and fits it on the frame."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = f"{PREFIX}{path}"
        self.cls = _import_class(path)

    def fit(
        self, frame: FeatureFrame, target: np.ndarray, task: Task, params: Mapping[str, Any]
    ) -> SklearnEstimator:
        """Fit a fresh estimator; a failure names the family and, if relevant, missing values."""
        y = check_target(target, frame.num_rows, task, family=self.name)
        estimator = self._instantiate(params)
        names = frame.column_names
        matrix = frame.to_matrix(names, family=self.name)
        labels = y.astype(np.int64) if task == "binary_classification" else y
        try:
            estimator.fit(matrix, labels)
        except Exception as exc:  # third-party code: translate whatever it raises
            raise TrainingError(
                f"{self.name} failed to fit with params {dict(params)}: {exc}{_nan_hint(matrix)}"
            ) from exc
        # Checked on the fitted instance: some estimators expose predict_proba conditionally
        # (SVC only with probability=True).
        if task == "binary_classification" and not hasattr(estimator, "predict_proba"):
            raise TrainingError(
                f"{self.name} has no predict_proba with these params, and binary_classification "
                "needs class-1 probabilities; pick a probabilistic classifier (LogisticRegression)"
            )
        return SklearnEstimator(estimator=estimator, path=self.path, features=names, task=task)

    def load(self, blob: bytes) -> SklearnEstimator:
        """Load a skops blob, trusting only scikit-learn, NumPy and SciPy types."""
        try:
            untrusted = sio.get_untrusted_types(data=blob)
        except Exception as exc:
            raise TrainingError(f"cannot read a {self.name} model from these bytes: {exc}") from exc
        refused = sorted(t for t in untrusted if t.split(".", 1)[0] not in TRUSTED_ROOTS)
        if refused:
            raise TrainingError(
                f"refusing to load {self.name} model: it references types outside "
                f"{sorted(TRUSTED_ROOTS)}: {refused}. Only load artifacts produced by modelfleet "
                "with a scikit-learn estimator; retrain the model if it came from elsewhere"
            )
        try:
            doc = sio.loads(blob, trusted=untrusted)
        except Exception as exc:
            raise TrainingError(f"cannot load a {self.name} model: {exc}") from exc
        if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
            raise TrainingError(f"these bytes are not a modelfleet {self.name} model")
        if not isinstance(doc["estimator"], self.cls):
            raise TrainingError(
                f"the stored model is a {type(doc['estimator']).__name__}, not a {self.path}; "
                "load it with the family recorded next to the artifact"
            )
        return SklearnEstimator(
            estimator=doc["estimator"],
            path=self.path,
            features=tuple(str(name) for name in doc["features"]),
            task=check_task(doc["task"]),
        )

    def _instantiate(self, params: Mapping[str, Any]) -> Any:
        """Build the estimator, naming any param its constructor does not accept."""
        signature = inspect.signature(self.cls)
        accepts_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
        unknown = sorted(set(params) - set(signature.parameters))
        if unknown and not accepts_any:
            raise TrainingError(
                f"{self.name} does not take param(s) {unknown}; accepted params: "
                f"{', '.join(sorted(signature.parameters))}"
            )
        try:
            return self.cls(**params)
        except Exception as exc:
            raise TrainingError(f"{self.name} rejected params {dict(params)}: {exc}") from exc


def _import_class(path: str) -> type[Any]:
    """Import ``package.module.Class`` and check it looks like an estimator (has fit, predict)."""
    module_name, _, class_name = path.rpartition(".")
    if not module_name or not class_name:
        raise TrainingError(
            f"model family '{PREFIX}{path}': expected an import path like "
            "sklearn:sklearn.ensemble.RandomForestRegressor"
        )
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise TrainingError(
            f"model family '{PREFIX}{path}': cannot import {class_name!r} from "
            f"{module_name!r} ({exc}); check the spelling and that the package is installed"
        ) from exc
    if not (isinstance(cls, type) and hasattr(cls, "fit") and hasattr(cls, "predict")):
        raise TrainingError(
            f"model family '{PREFIX}{path}': {path} is not an estimator class with fit and predict"
        )
    return cls


def _nan_hint(matrix: np.ndarray) -> str:
    """Explain the most common cause of scikit-learn failures: NaN in the features."""
    if not np.isnan(matrix).any():
        return ""
    return (
        ". The features contain missing values (NaN), which this estimator may not accept: "
        "impute them in the feature step or use an estimator that handles NaN natively "
        "(e.g. sklearn.ensemble.HistGradientBoostingRegressor)"
    )
