"""Hostile YAML is refused before it is built: size, depth, alias expansion, recursion."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from modelfleet.config.spec import load_spec
from modelfleet.config.yaml_reader import MAX_BYTES, parse_yaml, read_yaml
from modelfleet.errors import ConfigError

LAUGHS = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]" for i in range(8)]
)


def test_an_alias_bomb_is_refused_within_the_memory_bound(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(
        f"name: bomb\nmodel:\n  params:\n    {LAUGHS.replace(chr(10), chr(10) + '    ')}\n"
    )
    tracemalloc.start()

    with pytest.raises(ConfigError, match=r"expands to more than 100,000 values"):
        load_spec(path)

    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 100 * 2**20  # the memory bound the reliability issue sets


def test_the_bomb_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(LAUGHS + "\n")

    with pytest.raises(ConfigError, match=str(path)):
        read_yaml(path)


def test_a_few_shared_anchors_still_load() -> None:
    data = parse_yaml("base: &b {lags: [7, 14]}\none: *b\ntwo: *b\n", label="x.yaml")

    assert data["one"] == data["two"] == {"lags": [7, 14]}


def test_a_recursive_alias_is_refused() -> None:
    with pytest.raises(ConfigError, match="refers to itself"):
        parse_yaml("a: &a [1, *a]\n", label="x.yaml")


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(ConfigError, match="nested"):
        parse_yaml("a: " + "[" * 100 + "]" * 100 + "\n", label="x.yaml")


def test_nesting_past_the_parsers_stack_is_a_clean_error() -> None:
    with pytest.raises(ConfigError, match="nested too deeply"):
        parse_yaml("[" * 50_000 + "]" * 50_000, label="x.yaml")


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_bytes(b"#" * (MAX_BYTES + 1))

    with pytest.raises(ConfigError, match=r"more than the 1,048,576 allowed"):
        read_yaml(path)


def test_an_empty_document_is_none() -> None:
    assert parse_yaml("", label="x.yaml") is None
