"""The most used npm package names, bundled so the typosquat rule needs no network.

``data/popular.txt`` holds one name per line exactly as published (npm names are never
normalised; a few legacy ones have capitals), highest impact (downloads, dependents) first,
under a ``#`` header saying where the list came from and when; refresh it now and then.
"""

from __future__ import annotations

from functools import cache

from wharf.formats.namelists import read_names

PROMINENT_COUNT = 1000
"""How many of the first names any one-letter typo may imitate (the rest only swaps,
look-alikes and separators): the cut that keeps false alarms under 2%."""


@cache
def ranked_names() -> tuple[str, ...]:
    """The bundled names, highest impact first, read once per process."""
    return read_names("wharf.formats.npm")


@cache
def popular_names() -> frozenset[str]:
    """Every bundled name: none of them is ever taken for a typosquat."""
    return frozenset(ranked_names())


@cache
def prominent_names(count: int = PROMINENT_COUNT) -> frozenset[str]:
    """The first ``count`` names."""
    return frozenset(ranked_names()[:count])
