"""npm version precedence.

npm orders versions by semver 2.0 precedence. Old upstream packages still carry a few
version strings that are not valid semver (published before the registry enforced it); they
must not break sorting, so they sort before every valid version, among themselves by string.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from semver import Version

SortKey = tuple[int, Version | None, str]


def sort_key(version: str) -> SortKey:
    """A key ordering versions by semver precedence, legacy strings first.

    Versions equal in precedence (differing only in build metadata) fall back to string
    order, so sorting is total and deterministic.
    """
    parsed = _parse(version)
    return (0 if parsed is None else 1, parsed, version)


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
