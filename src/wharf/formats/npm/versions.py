"""npm version precedence.

npm orders versions by semver 2.0 precedence. Old upstream packages still carry a few
version strings that are not valid semver (published before the registry enforced it); they
must not break sorting, so they sort before every valid version, among themselves by string.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from semver import Version

Precedence = tuple[int, int, int, tuple[Any, ...]]
SortKey = tuple[int, Precedence | tuple[()], str]


def sort_key(version: str) -> SortKey:
    """A key ordering versions by semver precedence, legacy strings first.

    Versions equal in precedence (differing only in build metadata) fall back to string
    order, so sorting is total and deterministic. The key is plain tuples of numbers and
    strings, compared in C: sorting the thousands of versions of a big packument by parsed
    versions called semver's comparison (Python) for every pair.
    """
    return _sort_key(version)


@lru_cache(maxsize=16384)
def _sort_key(version: str) -> SortKey:
    parsed = _parse(version)
    if parsed is None:
        return (0, (), version)
    return (1, precedence(parsed), version)


def precedence(version: Version) -> Precedence:
    """Semver 2.0 precedence as a tuple: major, minor, patch, then the prerelease, which
    sorts before the release (``(0, identifiers)`` before ``(1,)``), identifier by
    identifier, numbers before words and numerically, a shorter list first."""
    if version.prerelease is None:
        return (version.major, version.minor, version.patch, (1,))
    parts = tuple((0, int(part)) if part.isdigit() else (1, part)
                  for part in str(version.prerelease).split("."))
    return (version.major, version.minor, version.patch, (0, *parts))


def is_prerelease(version: str) -> bool:
    """True for a valid semver version with a prerelease part (``1.0.0-rc.1``).

    A legacy non-semver string is not a prerelease: nothing says it is one, and treating it
    as stable only matters when no valid version exists at all.
    """
    parsed = _parse(version)
    return parsed is not None and parsed.prerelease is not None


def highest(versions: Iterable[str], *, include_prerelease: bool = False) -> str | None:
    """The version npm would tag ``latest`` when no tag says otherwise.

    The highest valid stable version; when there is none (or ``include_prerelease``), the
    highest of all, so a valid prerelease still beats a legacy string. None for no versions.
    """
    candidates = list(versions)
    if not candidates:
        return None
    if not include_prerelease:
        stable = [v for v in candidates if (p := _parse(v)) is not None and p.prerelease is None]
        if stable:
            candidates = stable
    return max(candidates, key=sort_key)


@lru_cache(maxsize=16384)
def _parse(version: str) -> Version | None:
    try:
        return Version.parse(version)
    except (ValueError, TypeError):
        return None
