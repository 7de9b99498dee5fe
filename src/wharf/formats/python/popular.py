"""The most downloaded Python project names, bundled so the typosquat rule needs no network.

``data/popular.txt`` holds one PEP 503 normalised name per line, most downloaded first,
under a ``#`` header saying where the list came from and when; refresh it from newer
download statistics now and then.
"""

from __future__ import annotations

from functools import cache

from wharf.formats.namelists import read_names

PROMINENT_COUNT = 1000
"""How many of the most downloaded names any one-letter typo may imitate (the rest only
swaps, look-alikes and separators): the cut that keeps false alarms under 1.5%."""


@cache
def ranked_names() -> tuple[str, ...]:
    """The bundled names, most downloaded first, read once per process."""
    return read_names("wharf.formats.python")


@cache
def popular_names() -> frozenset[str]:
    """Every bundled name: none of them is ever taken for a typosquat."""
    return frozenset(ranked_names())


@cache
def prominent_names(count: int = PROMINENT_COUNT) -> frozenset[str]:
    """The ``count`` most downloaded names."""
    return frozenset(ranked_names()[:count])
