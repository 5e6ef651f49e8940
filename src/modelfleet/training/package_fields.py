"""Typed reads of one model package metadata document; each error names the field it found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelfleet.config.blocks import PERIOD_DAYS
from modelfleet.config.spec import Frequency, Task
from modelfleet.errors import ModelfleetError, PackageError
from modelfleet.tracking.signature import Signature

TASKS = ("regression", "binary_classification")
# Format 0: the loose model_meta dict of earlier releases (no format_version, no feature_views).
LEGACY_FORMAT = 0


@dataclass(frozen=True)
class MetaFields:
    """Typed reads of one metadata document; each error names the field and what was found."""

    doc: Mapping[str, Any]
    version: int

    @property
    def label(self) -> str:
        return f"model package metadata (format {self.version})"

    def _get(self, key: str) -> Any:
        if key not in self.doc:
            raise PackageError(f"{self.label} lacks field {key!r}")
        return self.doc[key]

    def _wrong(self, key: str, wanted: str, value: Any) -> PackageError:
        return PackageError(
            f"{self.label}: field {key!r} must be {wanted}, got {value!r} ({type(value).__name__})"
        )

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str) or not value:
            raise self._wrong(key, "non-empty text", value)
        return value

    def task(self) -> Task:
        value: object = self._get("task")
        if value == "regression" or value == "binary_classification":
            return value
        raise self._wrong("task", f"one of {', '.join(TASKS)}", value)

    def frequency(self) -> Frequency:
        value: object = self._get("frequency")
        if value == "D" or value == "W":
            return value
        raise self._wrong("frequency", f"one of {', '.join(PERIOD_DAYS)}", value)

    def positive_int(self, key: str) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self._wrong(key, "an integer >= 1", value)
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self._wrong(key, "a list of text", value)
        return tuple(value)

    def digest(self, key: str) -> str:
        value = self.text(key)
        if len(value) != 64 or value.strip("0123456789abcdef"):
            raise self._wrong(key, "a sha256 hex digest", value)
        return value

    def vocabulary(self, key: str) -> dict[str, tuple[str, ...]]:
        value = self._get(key)
        wanted = "an object of column -> list of text"
        if not isinstance(value, dict):
            raise self._wrong(key, wanted, value)
        for values in value.values():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise self._wrong(key, wanted, value)
        return {str(name): tuple(values) for name, values in value.items()}

    def signature(self, key: str) -> Signature:
        try:
            return Signature.from_dict(self._get(key))
        except PackageError:
            raise
        except ModelfleetError as exc:  # Signature reports UsageError; here the file is wrong
            raise PackageError(f"{self.label}: field {key!r} is not a signature ({exc})") from exc

    def feature_views(self, key: str) -> tuple[tuple[str, str], ...]:
        if self.version == LEGACY_FORMAT and key not in self.doc:
            return ()  # format 0 did not record feature views
        value = self._get(key)
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self._wrong(key, "an object of view name -> version", value)
        return tuple((str(name), version) for name, version in value.items())

    def optional_object(self, key: str) -> dict[str, Any] | None:
        value = self.doc.get(key)
        if value is not None and not isinstance(value, dict):
            raise self._wrong(key, "an object or absent", value)
        return value

    def pooled(self, key: str) -> tuple[float, tuple[str, ...], dict[str, float | None]] | None:
        """A pooled model's tenant inputs (scale, scaled columns, attributes), or None."""
        value = self.doc.get(key)
        if value is None:
            return None
        wanted = "an object with scale, scaled and attributes"
        if not isinstance(value, dict):
            raise self._wrong(key, wanted, value)
        scale, scaled, attributes = value.get("scale"), value.get("scaled"), value.get("attributes")
        if isinstance(scale, bool) or not isinstance(scale, int | float):
            raise self._wrong(f"{key}.scale", "a number", scale)
        if not isinstance(scaled, list) or not all(isinstance(c, str) for c in scaled):
            raise self._wrong(f"{key}.scaled", "a list of text", scaled)
        if not isinstance(attributes, dict) or not all(
            v is None or (isinstance(v, int | float) and not isinstance(v, bool))
            for v in attributes.values()
        ):
            raise self._wrong(f"{key}.attributes", "an object of name -> number", attributes)
        return (
            float(scale),
            tuple(scaled),
            {str(k): None if v is None else float(v) for k, v in attributes.items()},
        )
