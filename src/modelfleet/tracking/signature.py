"""A model's signature: its inputs in training order and its output.

Recorded with every run (so registration reads nothing back) and with every model version;
it lives here, below the registry and training, because a run record carries it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelfleet.errors import UsageError


@dataclass(frozen=True)
class SignatureField:
    """One named, typed model input or output."""

    name: str
    type: str
    categorical: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form."""
        return {"name": self.name, "type": self.type, "categorical": self.categorical}

    @classmethod
    def from_dict(cls, data: Any) -> SignatureField:
        """Read ``{"name", "type", "categorical"?}``; UsageError naming what is wrong."""
        if not isinstance(data, Mapping) or not isinstance(data.get("name"), str):
            raise UsageError(f"signature field {data!r} needs a 'name' (text) and a 'type'")
        return cls(str(data["name"]), str(data.get("type", "")), bool(data.get("categorical")))


@dataclass(frozen=True)
class Signature:
    """A model's inputs (in the order it was trained with) and its output."""

    inputs: tuple[SignatureField, ...]
    output: SignatureField

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", tuple(self.inputs))  # normalise the frozen field
        names = [item.name for item in self.inputs]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise UsageError(f"signature inputs must have unique names; repeated: {repeated}")

    @property
    def input_names(self) -> tuple[str, ...]:
        """Input column names in model order."""
        return tuple(item.name for item in self.inputs)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (the shape of ``model_meta["signature"]``)."""
        return {
            "inputs": [item.to_dict() for item in self.inputs],
            "output": self.output.to_dict(),
        }

    def to_json(self) -> str:
        """Canonical JSON text: the same signature always gives the same text."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def digest(self) -> str:
        """sha256 of the inputs as a set plus the output: reordering columns is not a change."""
        canonical = {
            "inputs": sorted((item.to_dict() for item in self.inputs), key=lambda d: d["name"]),
            "output": self.output.to_dict(),
        }
        text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @classmethod
    def from_dict(cls, data: Any) -> Signature:
        """Read ``{"inputs": [...], "output": {...}}``; UsageError naming what is wrong."""
        if not isinstance(data, Mapping) or not isinstance(data.get("inputs"), list):
            raise UsageError(
                "a signature needs 'inputs' (a list of {name, type, categorical}) and 'output'"
            )
        return cls(
            tuple(SignatureField.from_dict(item) for item in data["inputs"]),
            SignatureField.from_dict(data.get("output")),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Signature:
        """Parse :meth:`to_json` output (or a ``model_meta`` signature block)."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"signature is not valid JSON ({exc})") from exc
        return cls.from_dict(data)

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> Signature:
        """The signature recorded in a run's ``model_meta`` artifact."""
        if "signature" not in meta:
            raise UsageError("model_meta has no 'signature'; it was written by an older run")
        return cls.from_dict(meta["signature"])
