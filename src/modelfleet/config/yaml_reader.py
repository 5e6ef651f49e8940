"""Reading YAML that may be hostile: bounded in size, nesting depth and alias expansion.

A 600-byte "billion laughs" document (aliases of aliases) composes into a handful of nodes but
expands into billions of values once constructed or walked, and a document nested thousands of
levels deep exhausts the parser's stack. :func:`read_yaml` refuses both before building a
single Python value: it composes the node graph (aliases stay shared references there), measures
its depth and its size *as expanded* (each node counted once per reference, memoised), and only
then constructs the data. Only safe YAML tags are understood and duplicate keys are refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import yaml

from modelfleet.errors import ConfigError
from modelfleet.quoting import excerpt

MAX_BYTES: Final = 1 << 20  # 1 MiB: a fleet spec is a few kilobytes
MAX_DEPTH: Final = 64
MAX_EXPANDED_NODES: Final = 100_000


class UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys instead of keeping the last one."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """A mapping; ConstructorError at the second occurrence of a key."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {excerpt(key)} (the later value would silently win)",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path, *, what: str = "fleet spec") -> Any:
    """The data of the YAML file at ``path``; ConfigError naming the file for anything wrong."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError(
                f"{path}: the {what} is {size:,} bytes, more than the {MAX_BYTES:,} allowed; "
                "is this the right file?"
            )
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        detail = excerpt(str(exc), 160, quoted=False)
        raise ConfigError(f"{path}: cannot read the {what} ({detail})") from None
    return parse_yaml(text, label=str(path), what=what)


def parse_yaml(text: str, *, label: str, what: str = "fleet spec") -> Any:
    """The data of YAML ``text``, with the limits of :func:`read_yaml` (``label`` names it)."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise ConfigError(f"{label}: the {what} is larger than {MAX_BYTES:,} bytes")
    loader = UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_shape(node, label)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        # PyYAML's problem text may quote the offending characters: keep it short and escaped.
        problem = excerpt(getattr(exc, "problem", None) or str(exc), 200, quoted=False)
        raise ConfigError(f"{label}: not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise ConfigError(
            f"{label}: the {what} is nested too deeply (more than {MAX_DEPTH} levels allowed)"
        ) from None
    finally:
        loader.dispose()


def _check_shape(root: yaml.Node, label: str) -> None:
    """Refuse a node graph deeper than MAX_DEPTH or larger than MAX_EXPANDED_NODES expanded."""
    expanded: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_DEPTH:
            line = node.start_mark.line + 1
            raise ConfigError(f"{label}: nested more than {MAX_DEPTH} levels deep (line {line})")
        key = id(node)
        if key in expanded:
            return expanded[key]
        if key in open_nodes:
            raise ConfigError(
                f"{label}: an alias refers to itself (line {node.start_mark.line + 1}); "
                "recursive structures are not allowed"
            )
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in node.value)
        open_nodes.discard(key)
        if total > MAX_EXPANDED_NODES:
            raise ConfigError(
                f"{label}: expands to more than {MAX_EXPANDED_NODES:,} values (aliases of "
                f"aliases near line {node.start_mark.line + 1}?); write the values out or "
                "simplify the anchors"
            )
        expanded[key] = total
        return total

    size(root, 0)
