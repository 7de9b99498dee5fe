"""YAML lockfiles (``pnpm-lock.yaml``, yarn berry's ``yarn.lock``) as nodes with line numbers.

The documents are composed, not constructed: composing keeps each key's line, so an entry
can say where it is, and every scalar stays the text that was written. A full YAML loader
would turn ``version: 1.10`` into the float 1.1 and a dependency named ``yes`` or ``on``
into a boolean; yarn berry itself reads its lockfile with a strings-only schema. Composing
builds no Python objects from tags, so it is as safe as ``safe_load``. The C parser is used
when PyYAML has it: big lockfiles have hundreds of thousands of lines.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml  # type: ignore[import-untyped, unused-ignore]

from wharf.formats.lockfiles import parse_error

_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def load_documents(text: str, label: str) -> list[object]:
    """The non-empty documents of ``text``; a syntax error names the line."""
    try:
        return [node for node in yaml.compose_all(text, Loader=_LOADER) if node is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{label}:{mark.line + 1}" if mark is not None else label
        problem = getattr(exc, "problem", None) or str(exc)
        raise parse_error(where, f"not valid YAML: {problem}") from exc


def child(node: object, key: str) -> object | None:
    """The value under ``key`` when ``node`` is a mapping that has it."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                found: object = value_node
                return found
    return None


def items(node: object, where: str) -> Iterator[tuple[str, int, object]]:
    """Each key of a mapping with its 1-based line and its value node (an empty value,
    ``packages:`` with nothing under it, has none)."""
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
        return
    if not isinstance(node, yaml.MappingNode):
        raise parse_error(where, "expected a mapping of packages")
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            yield str(key_node.value), key_node.start_mark.line + 1, value_node


def plain(node: object, label: str) -> object:
    """A node as plain data: mappings as dicts, sequences as lists, scalars as strings.

    Lockfile tools never write anchors, but a hostile file could nest aliases to expand
    exponentially ("billion laughs") or make one refer to itself: each node is converted
    once and shared, and a node inside itself is refused.
    """
    return _plain(node, label, {})


_BUSY = object()


def _plain(node: object, label: str, done: dict[int, object]) -> object:
    if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        return str(getattr(node, "value", ""))
    known = done.get(id(node))
    if known is _BUSY:
        line = node.start_mark.line + 1
        raise parse_error(f"{label}:{line}", "a YAML alias refers to the value that contains it")
    if known is not None:
        return known
    done[id(node)] = _BUSY
    result: object
    if isinstance(node, yaml.MappingNode):
        result = {
            str(key.value): _plain(value, label, done)
            for key, value in node.value
            if isinstance(key, yaml.ScalarNode)
        }
    else:
        result = [_plain(item, label, done) for item in node.value]
    done[id(node)] = result
    return result
