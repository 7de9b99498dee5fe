"""Stored artifacts and project presence by name, remembered per worker until the project's
files change, so a warm download (and the shadowing check of a group) costs no database
round trip. Misses are remembered too: a group asks its hosted member first for every
proxied file."""

from __future__ import annotations

from collections.abc import Hashable

from wharf.core.models import Artifact
from wharf.core.ports import ChangeStamps, MetadataStore
from wharf.services.stamping import INDEXES, files_key

MAX_ENTRIES = 100_000


class ArtifactLookup:
    def __init__(self, store: MetadataStore, stamps: ChangeStamps) -> None:
        self._store = store
        self._stamps = stamps
        self._entries: dict[Hashable, tuple[tuple[int, int], object]] = {}

    def _token(self, index: str, project: str) -> tuple[int, int]:
        return self._stamps.stamp(INDEXES), self._stamps.stamp(files_key(index, project))

    def _remember(self, key: Hashable, token: tuple[int, int], value: object) -> None:
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (token, value)

    async def artifact(self, index: str, project: str, filename: str) -> Artifact | None:
        """The stored file ``filename`` of ``project`` in ``index``, if there is one."""
        token = self._token(index, project)
        key = ("artifact", index, filename)
        hit = self._entries.get(key)
        if hit is not None and hit[0] == token:
            return hit[1] if isinstance(hit[1], Artifact) and hit[1].project == project else None
        found = await self._store.get_artifact(index, filename)
        self._remember(key, token, found)
        return found if found is not None and found.project == project else None

    async def holds(self, index: str, project: str) -> bool:
        """True when a hosted index has the project."""
        token = self._token(index, project)
        key = ("holds", index, project)
        hit = self._entries.get(key)
        if hit is not None and hit[0] == token:
            return bool(hit[1])
        found = await self._store.get_project(index, project) is not None
        self._remember(key, token, found)
        return found
