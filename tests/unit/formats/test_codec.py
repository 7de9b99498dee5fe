"""The JSON codec: compact UTF-8, and the standard library's leniency where orjson has none."""

from __future__ import annotations

import json
from types import MappingProxyType

import pytest

from wharf.formats import codec


def test_output_is_compact_utf8_in_insertion_order() -> None:
    data = {"z": 1, "a": ["\u00e9", None, True, 1.5], "m": {"k": "v"}}
    assert codec.dumps(data) == json.dumps(
        data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def test_what_orjson_declines_is_still_written() -> None:
    assert codec.dumps({"n": 2**70}) == b'{"n":1180591620717411303424}'
    assert codec.dumps({1: "a"}) == b'{"1":"a"}'
    assert codec.dumps(MappingProxyType({"a": MappingProxyType({"b": 1})})) == b'{"a":{"b":1}}'


def test_unserialisable_values_are_refused() -> None:
    with pytest.raises(TypeError):
        codec.dumps({"s": {1, 2}})


def test_nan_and_infinity_are_read_as_before() -> None:
    value = codec.loads(b'{"a": NaN, "b": Infinity}')
    assert value["a"] != value["a"]
    assert value["b"] == float("inf")


def test_garbage_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        codec.loads(b"{not json")
    with pytest.raises(ValueError):
        codec.loads(b'"\xff"')
