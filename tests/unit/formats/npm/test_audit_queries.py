"""Reading npm audit queries only to drop private names: both shapes, gzip, limits."""

from __future__ import annotations

import gzip
import json

import pytest

from wharf.core.errors import InvalidRequestError
from wharf.formats.npm.audit_queries import (
    decode,
    encode,
    names_in,
    without_names_in_bulk,
    without_names_in_tree,
)

TREE = {
    "name": "app",
    "requires": {"a": "^1", "@corp/x": "^1"},
    "dependencies": {
        "a": {"version": "1.0.0", "requires": {"b": "^2"},
              "dependencies": {"b": {"version": "2.0.0"}}},
        "@corp/x": {"version": "1.0.0", "requires": {"a": "^1"}},
    },
}


def test_names_of_both_shapes() -> None:
    assert names_in({"a": ["1.0.0"], "@corp/x": ["1.0.0"]}) == ["a", "@corp/x"]
    assert sorted(set(names_in(TREE))) == ["@corp/x", "a", "b"]
    assert names_in([1, 2]) == []


def test_private_names_are_dropped_everywhere() -> None:
    assert without_names_in_bulk({"a": ["1"], "@corp/x": ["1"]}, {"@corp/x"}) == {"a": ["1"]}
    pruned = without_names_in_tree(TREE, {"@corp/x", "b"})
    assert "@corp/x" not in json.dumps(pruned)
    assert '"b"' not in json.dumps(pruned)
    assert pruned["dependencies"]["a"]["version"] == "1.0.0"


def test_gzip_round_trip_and_plain_json() -> None:
    query = {"a": ["1.0.0"]}
    assert decode(encode(query, "gzip"), "gzip", 1 << 20) == query
    assert decode(encode(query, None), None, 1 << 20) == query


def test_a_query_that_inflates_past_the_limit_is_refused() -> None:
    bomb = gzip.compress(b'{"a": "' + b"x" * 100_000 + b'"}')
    with pytest.raises(InvalidRequestError, match="inflates to more than"):
        decode(bomb, "gzip", 10_000)


def test_bad_bodies_are_refused_with_a_reason() -> None:
    with pytest.raises(InvalidRequestError, match="not valid gzip"):
        decode(b"plain", "gzip", 1000)
    with pytest.raises(InvalidRequestError, match="not JSON"):
        decode(b"{nope", None, 1000)
