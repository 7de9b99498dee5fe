"""Contract of ``MetadataStore`` for upstream withdrawals and pins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from wharf.core.errors import NotFoundError
from wharf.core.models import Artifact
from wharf.db import SqlMetadataStore

MakeArtifact = Callable[..., Artifact]
EARLY = datetime(2026, 1, 1, tzinfo=UTC)
LATE = datetime(2026, 2, 1, tzinfo=UTC)


async def cache(store: SqlMetadataStore, make_artifact: MakeArtifact, version: str) -> None:
    await store.add_artifact(
        make_artifact(f"pkg-{version}.tgz", project="pkg", version=version),
        display_name="pkg",
        release_metadata={},
    )


async def test_marks_keep_the_first_withdrawal_and_can_be_cleared(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    for version in ("1.0.0", "2.0.0"):
        await cache(metadata_store, make_artifact, version)
    serial = await metadata_store.change_serial()
    await metadata_store.set_withdrawn(hosted, "pkg", {"pkg-1.0.0.tgz"}, EARLY)
    assert await metadata_store.change_serial() > serial
    await metadata_store.set_withdrawn(hosted, "pkg", {"pkg-1.0.0.tgz"}, LATE)

    found = await metadata_store.get_artifact(hosted, "pkg-1.0.0.tgz")
    assert found is not None
    assert found.withdrawn_at == EARLY
    other = await metadata_store.get_artifact(hosted, "pkg-2.0.0.tgz")
    assert other is not None
    assert other.withdrawn_at is None
    assert [a.filename for a in await metadata_store.list_withdrawn(hosted)] == ["pkg-1.0.0.tgz"]
    assert [a.filename for a in await metadata_store.list_withdrawn()] == ["pkg-1.0.0.tgz"]

    await metadata_store.set_withdrawn(hosted, "pkg", {"pkg-1.0.0.tgz"}, None)
    assert await metadata_store.list_withdrawn(hosted) == []


async def test_only_the_named_project_is_marked(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    await cache(metadata_store, make_artifact, "1.0.0")
    await metadata_store.set_withdrawn(hosted, "other", {"pkg-1.0.0.tgz"}, EARLY)
    assert await metadata_store.list_withdrawn(hosted) == []


async def test_pins(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    await cache(metadata_store, make_artifact, "1.0.0")
    pinned = await metadata_store.set_pinned(hosted, "pkg-1.0.0.tgz", "alice")
    assert pinned.pinned_by == "alice"
    listed = await metadata_store.list_artifacts(hosted, "pkg")
    assert [a.pinned_by for a in listed] == ["alice"]
    unpinned = await metadata_store.set_pinned(hosted, "pkg-1.0.0.tgz", None)
    assert unpinned.pinned_by is None
    with pytest.raises(NotFoundError, match=r"nothing\.tgz"):
        await metadata_store.set_pinned(hosted, "nothing.tgz", "alice")
