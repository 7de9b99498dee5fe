"""npm audit queries, read only to take private names out before they go upstream.

Two shapes reach a registry: the bulk query of npm 7+ (``{name: [versions]}``) and the
legacy tree of ``audits`` and ``audits/quick`` (``requires`` and nested ``dependencies``
maps keyed by name). Both may arrive gzip-compressed. A name this registry hosts is
private: sending it upstream would tell the public registry what the team's packages are
called (the first step of a dependency-confusion attack) and could only return advisories
about somebody else's package of that name.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Collection
from typing import Any

from wharf.core.errors import InvalidRequestError

Strip = Callable[[Any, Collection[str]], Any]


def decode(body: bytes, encoding: str | None, limit: int) -> Any:
    """The JSON query, inflated when gzip'd (to at most ``limit`` bytes)."""
    raw = body
    if (encoding or "").strip().lower() == "gzip":
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(body, limit)
        except zlib.error as exc:
            raise InvalidRequestError(
                f"The audit query is not valid gzip ({exc}).",
                hint="Send it as npm does, or without Content-Encoding.",
            ) from None
        if inflater.unconsumed_tail:
            raise InvalidRequestError(
                f"The audit query inflates to more than {limit} bytes.",
                hint="Audit a smaller tree.",
            )
    try:
        return json.loads(raw)
    except ValueError:
        raise InvalidRequestError(
            "The audit query is not JSON.", hint="Send the body npm audit sends."
        ) from None


def encode(query: Any, encoding: str | None) -> bytes:
    body = json.dumps(query, separators=(",", ":")).encode()
    if (encoding or "").strip().lower() == "gzip":
        return gzip.compress(body, mtime=0)
    return body


def names_in(query: Any) -> list[str]:
    """Every package name a query mentions (bulk keys, or the tree's maps)."""
    if not isinstance(query, dict):
        return []
    if "requires" in query or "dependencies" in query:
        found: list[str] = []
        _walk_names(query, found)
        return found
    return [name for name in query if isinstance(name, str)]


def without_names_in_bulk(query: Any, private: Collection[str]) -> Any:
    if not isinstance(query, dict):
        return query
    return {name: versions for name, versions in query.items() if name not in private}


def without_names_in_tree(query: Any, private: Collection[str]) -> Any:
    if not isinstance(query, dict):
        return query
    pruned = dict(query)
    requires = query.get("requires")
    if isinstance(requires, dict):
        pruned["requires"] = {n: r for n, r in requires.items() if n not in private}
    dependencies = query.get("dependencies")
    if isinstance(dependencies, dict):
        pruned["dependencies"] = {
            name: without_names_in_tree(node, private)
            for name, node in dependencies.items()
            if name not in private
        }
    return pruned


def _walk_names(node: dict[str, Any], found: list[str]) -> None:
    requires = node.get("requires")
    if isinstance(requires, dict):
        found.extend(name for name in requires if isinstance(name, str))
    dependencies = node.get("dependencies")
    if isinstance(dependencies, dict):
        for name, child in dependencies.items():
            found.append(name)
            if isinstance(child, dict):
                _walk_names(child, found)
