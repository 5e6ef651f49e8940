"""Feature views in the fleet spec: validation and their part in the training hash."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelfleet.config.spec import load_spec
from modelfleet.errors import ConfigError

WriteSpec = Callable[[dict[str, Any]], Path]


def view(name: str, ttl: str = "30d") -> dict[str, Any]:
    return {
        "name": name,
        "entities": ["tenant"],
        "timestamp": "date",
        "ttl": ttl,
        "features": [{"name": "price", "expr": "price"}],
    }


def with_views(spec: dict[str, Any], *views: dict[str, Any], used: tuple[str, ...] = ()) -> Any:
    body = copy.deepcopy(spec)
    body["feature_views"] = list(views)
    body["features"]["views"] = list(used)
    return body


def test_editing_a_view_training_does_not_read_keeps_the_training_hash(
    minimal_spec: dict[str, Any], write_spec: WriteSpec
) -> None:
    before = load_spec(write_spec(with_views(minimal_spec, view("prices"), view("other"))), None)
    after = load_spec(
        write_spec(with_views(minimal_spec, view("prices"), view("other", ttl="9d"))), None
    )
    assert before.training_hash() == after.training_hash()


def test_editing_a_view_training_reads_changes_the_training_hash(
    minimal_spec: dict[str, Any], write_spec: WriteSpec
) -> None:
    used = ("prices:price",)
    before = load_spec(write_spec(with_views(minimal_spec, view("prices"), used=used)), None)
    after = load_spec(
        write_spec(with_views(minimal_spec, view("prices", ttl="9d"), used=used)), None
    )
    assert before.training_hash() != after.training_hash()


def test_duplicate_view_names_are_refused(
    minimal_spec: dict[str, Any], write_spec: WriteSpec
) -> None:
    with pytest.raises(ConfigError, match="repeated: \\['prices'\\]"):
        load_spec(write_spec(with_views(minimal_spec, view("prices"), view("prices"))), None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ttl": "thirty days"}, "ttl"),
        ({"entities": []}, "entities"),
        ({"features": [{"name": "x", "expr": "a", "calendar": "month"}]}, "features"),
        ({"features": [{"name": "bad name", "expr": "a"}]}, "name"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_malformed_view_names_its_field(
    minimal_spec: dict[str, Any], write_spec: WriteSpec, change: dict[str, Any], field: str
) -> None:
    broken = {**view("prices"), **change}
    with pytest.raises(ConfigError, match=field) as caught:
        load_spec(write_spec(with_views(minimal_spec, broken)), None)
    assert "feature_views" in str(caught.value)
