"""The upstream listings a worker fetched or read most recently, kept parsed.

A cold install asks for a project's page and then, moments later, for its files: each of
those steps needs the project's upstream listing, and reading it back from the database
means decoding it again (5 MB of JSON for a project of 15,000 files; a cold install of
42 projects read listings back 190 times). The memo answers those reads from the copy the
worker already holds, for as long as that copy is fresh: the same window within which
any copy, this worker's or another's, may be served. It holds listings for a short while
(``HOLD``) and up to a budget of estimated bytes, least recently used first out: the
steps of one install follow each other within seconds, and a memo that kept listings
longer would only add to the worker's resident memory.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from wharf.core.models import UpstreamDocument

DEFAULT_BUDGET = 16 << 20
"""Estimated bytes of parsed listings a worker keeps: one project of 15,000 files (15 MB
parsed), or dozens of ordinary ones. The big listings are the ones worth keeping: each
read back costs tens of milliseconds. Measured in the team harness, the worker's resident
memory after a cold install was the same with 4 MB (171 MB idle) as with 16 (174)."""

HOLD = timedelta(seconds=60)
"""How long a listing is kept after it was fetched or read."""

BYTES_PER_ITEM = 100
"""What one value of a parsed listing takes in memory, roughly (measured: a listing of
14,917 files parsed to 14.9 MB, about 134,000 values three levels deep)."""


class ListingMemo:
    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self._budget = budget
        self._held = 0
        self._entries: OrderedDict[
            tuple[str, str], tuple[str, UpstreamDocument, int, datetime]] = OrderedDict()

    def get(self, index: str, upstream: str, project: str) -> UpstreamDocument | None:
        """The listing held for ``project`` of ``index``, if it came from ``upstream``
        (an index given a new upstream does not get the old one's listings)."""
        key = (index, project)
        entry = self._entries.get(key)
        if entry is None or entry[0] != upstream:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, upstream: str, document: UpstreamDocument, now: datetime) -> None:
        key = (document.index, document.project)
        self.drop(document.index, document.project)
        weight = estimate_bytes(document.body)
        if weight > self._budget:
            return
        self._entries[key] = (upstream, document, weight, now)
        self._held += weight
        while self._held > self._budget:
            _, (_, _, evicted, _) = self._entries.popitem(last=False)
            self._held -= evicted

    def expire(self, now: datetime) -> None:
        """Let go of the listings kept longer than ``HOLD``."""
        cutoff = now - HOLD
        for key in [k for k, entry in self._entries.items() if entry[3] <= cutoff]:
            self.drop(*key)

    def __len__(self) -> int:
        return len(self._entries)

    def drop(self, index: str, project: str) -> None:
        old = self._entries.pop((index, project), None)
        if old is not None:
            self._held -= old[2]


def estimate_bytes(body: Mapping[str, Any]) -> int:
    """The memory a parsed listing takes, estimated from how many values it holds three
    levels deep (files or versions, and their fields), whatever the format."""
    items = 0
    for value in body.values():
        items += 1
        if isinstance(value, Mapping):
            inners: Any = value.values()
        elif isinstance(value, list):
            inners = value
        else:
            continue
        for inner in inners:
            items += 1
            if isinstance(inner, (Mapping, list)):
                items += len(inner)
    return items * BYTES_PER_ITEM
