"""Conversion between domain records (frozen dataclasses) and wire models, derived once.

Records become wire models by pydantic's attribute reading (``model_validate(record,
from_attributes=True)``), with the few type changes JSON needs spelled as annotated types in
:mod:`.base` (a :class:`SemVer` travels as text, a NaN metric as null). Wire models become
records again by walking the record's dataclass fields and their type hints here: nested
records, tuples of records, optional values, versions and NaN are rebuilt from the hints, so no
shape converts its fields by hand and a field added to a record needs no converter edit.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar, cast, get_args, get_origin, get_type_hints

from modelfleet.registry.semver import SemVer

R = TypeVar("R")


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    """The resolved field types of a record class (resolved once per class)."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = get_type_hints(cls)
    return hints


def record_from(cls: type[R], data: Mapping[str, Any]) -> R:
    """The ``cls`` record whose fields ``data`` holds (keys it lacks keep their defaults)."""
    hints = _hints(cast(type[Any], cls))
    values = {
        f.name: _value(hints[f.name], data[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.init and f.name in data
    }
    return cls(**values)


def _value(hint: Any, value: Any) -> Any:
    """``value`` (plain data) as the type ``hint`` names."""
    origin = get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in get_args(hint) if arg is not type(None)]
        if value is None and len(options) < len(get_args(hint)):
            return None
        return _value(options[0], value) if len(options) == 1 else value
    if hint is float:
        return math.nan if value is None else float(value)  # JSON carries NaN as null
    if hint is SemVer:
        return SemVer.of(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return value if isinstance(value, hint) else record_from(hint, value)
    if origin in (tuple, Sequence, list):
        item = get_args(hint)[0] if get_args(hint) else Any
        return tuple(_value(item, v) for v in value)
    if origin in (dict, Mapping):
        args = get_args(hint)
        item = args[1] if len(args) == 2 else Any
        return {key: _value(item, v) for key, v in value.items()}
    return value
