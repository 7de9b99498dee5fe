"""The npm registry's URL space below an index root, parsed into what a request is about.

npm paths cannot be routed by patterns: a package name may hold a slash (``@scope/name``,
sent as ``@scope%2fname`` or, by yarn's fallback, unescaped), and ``-`` marks both tarball
paths (``<name>/-/<file>``) and the registry's own endpoints (``-/whoami``). The ASGI server
has already percent-decoded the path, so both spellings of a scoped name arrive alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from wharf.core.errors import NotFoundError


class Target(StrEnum):
    PACKAGE = "package"  # /<name>
    PACKAGE_REV = "package_rev"  # /<name>/-rev/<rev>
    VERSION = "version"  # /<name>/<version-or-tag>
    TARBALL = "tarball"  # /<name>/-/<file>
    TARBALL_REV = "tarball_rev"  # /<name>/-/<file>/-rev/<rev>
    DIST_TAGS = "dist_tags"  # /-/package/<name>/dist-tags
    DIST_TAG = "dist_tag"  # /-/package/<name>/dist-tags/<tag>
    ENDPOINT = "endpoint"  # /-/<anything else>: the registry's own endpoints


@dataclass(frozen=True, slots=True)
class NpmPath:
    target: Target
    name: str = ""
    """The package name, scope included (``@scope/name``)."""
    file: str = ""
    """Tarball file name as in the URL (``name-1.0.0.tgz``)."""
    rev: str = ""
    spec: str = ""
    """A version or dist-tag name."""
    endpoint: tuple[str, ...] = ()
    """For ``ENDPOINT``: the segments after ``-``."""


def parse_path(path: str) -> NpmPath:
    """Parse the path below the index root (leading slash optional).

    Raises ``NotFoundError`` for paths that are nothing in the npm API, and for traversal
    attempts (``..``, empty segments inside a name, backslashes, NUL).
    """
    segments = path.strip("/").split("/") if path.strip("/") else []
    for segment in segments:
        if segment in (".", "..") or "\\" in segment or "\x00" in segment:
            raise _nothing(path)
    if not segments:
        raise _nothing(path)
    if segments[0] == "-":
        return _registry_endpoint(path, segments[1:])
    name, rest = _split_name(path, segments)
    match rest:
        case []:
            return NpmPath(Target.PACKAGE, name)
        case ["-rev", rev]:
            return NpmPath(Target.PACKAGE_REV, name, rev=rev)
        case ["-", file]:
            return NpmPath(Target.TARBALL, name, file=file)
        case ["-", scope, file] if scope.startswith("@"):
            # npm's own client-side tarball name for scoped packages (`-/@scope/name-1.tgz`)
            return NpmPath(Target.TARBALL, name, file=file)
        case ["-", file, "-rev", rev]:
            return NpmPath(Target.TARBALL_REV, name, file=file, rev=rev)
        case ["-", scope, file, "-rev", rev] if scope.startswith("@"):
            return NpmPath(Target.TARBALL_REV, name, file=file, rev=rev)
        case [spec] if spec and spec != "-":
            return NpmPath(Target.VERSION, name, spec=spec)
    raise _nothing(path)


def _registry_endpoint(path: str, rest: list[str]) -> NpmPath:
    if rest and rest[0] == "package" and len(rest) >= 3:
        name, after = _split_name(path, rest[1:])
        match after:
            case ["dist-tags"]:
                return NpmPath(Target.DIST_TAGS, name)
            case ["dist-tags", tag] if tag:
                return NpmPath(Target.DIST_TAG, name, spec=tag)
    return NpmPath(Target.ENDPOINT, endpoint=tuple(rest))


def _split_name(path: str, segments: list[str]) -> tuple[str, list[str]]:
    first = segments[0]
    if first.startswith("@"):
        if len(segments) < 2 or not segments[1] or first == "@":
            raise _nothing(path)
        return f"{first}/{segments[1]}", segments[2:]
    if not first:
        raise _nothing(path)
    return first, segments[1:]


def _nothing(path: str) -> NotFoundError:
    return NotFoundError(
        f"Nothing in the npm registry API at '{path}'.",
        hint="Point npm at the index root, e.g. npm set registry http://HOST:PORT/npm/",
    )
