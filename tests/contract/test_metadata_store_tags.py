"""Contract of ``MetadataStore`` for release tags (npm dist-tags) and release metadata
updates (npm deprecations)."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest

from wharf.core.errors import NotFoundError
from wharf.core.models import Artifact
from wharf.db import SqlMetadataStore

MakeArtifact = Callable[..., Artifact]


async def publish(
    store: SqlMetadataStore, make_artifact: MakeArtifact, version: str, **tags: str
) -> None:
    await store.add_artifact(
        make_artifact(f"pkg-{version}.tgz", project="pkg", version=version),
        display_name="pkg",
        release_metadata={"version": version},
        tags=tags or None,
    )


async def test_tags_are_set_with_the_artifact(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    await publish(metadata_store, make_artifact, "1.0.0", latest="1.0.0")
    await publish(metadata_store, make_artifact, "2.0.0-beta.1", beta="2.0.0-beta.1")
    assert await metadata_store.list_tags(hosted, "pkg") == {
        "beta": "2.0.0-beta.1",
        "latest": "1.0.0",
    }
    assert await metadata_store.list_tags(hosted, "nothing") == {}


async def test_set_and_delete_tags(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    await publish(metadata_store, make_artifact, "1.0.0", latest="1.0.0")
    await publish(metadata_store, make_artifact, "1.1.0")
    serial = await metadata_store.change_serial()
    await metadata_store.set_tag(hosted, "pkg", "latest", "1.1.0")
    await metadata_store.set_tag(hosted, "pkg", "stable", "1.0.0")
    assert await metadata_store.change_serial() > serial
    assert await metadata_store.list_tags(hosted, "pkg") == {"latest": "1.1.0", "stable": "1.0.0"}

    await metadata_store.delete_tag(hosted, "pkg", "stable")
    assert await metadata_store.list_tags(hosted, "pkg") == {"latest": "1.1.0"}
    with pytest.raises(NotFoundError, match="stable"):
        await metadata_store.delete_tag(hosted, "pkg", "stable")
    with pytest.raises(NotFoundError, match=r"9\.9\.9"):
        await metadata_store.set_tag(hosted, "pkg", "next", "9.9.9")
    with pytest.raises(NotFoundError):
        await metadata_store.delete_tag(hosted, "ghost", "latest")


async def test_deleting_a_release_removes_its_tags(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    await publish(metadata_store, make_artifact, "1.0.0", latest="1.0.0", stable="1.0.0")
    await publish(metadata_store, make_artifact, "2.0.0", next="2.0.0")
    await metadata_store.delete_release(hosted, "pkg", "1.0.0")
    assert await metadata_store.list_tags(hosted, "pkg") == {"next": "2.0.0"}
    await metadata_store.delete_project(hosted, "pkg")
    assert await metadata_store.list_tags(hosted, "pkg") == {}
    # The project can come back with fresh tags (no leftover rows block it).
    await publish(metadata_store, make_artifact, "3.0.0", latest="3.0.0")
    assert await metadata_store.list_tags(hosted, "pkg") == {"latest": "3.0.0"}


async def test_deleting_the_index_removes_tags(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    await publish(metadata_store, make_artifact, "1.0.0", latest="1.0.0")
    await metadata_store.delete_index(hosted)
    assert await metadata_store.list_tags(hosted, "pkg") == {}


async def test_concurrent_publishes_of_different_versions_all_survive(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    """The lost-update bug of other registries: every version and every tag is kept."""

    async def one(n: int) -> None:
        await publish(metadata_store, make_artifact, f"1.{n}.0", **{f"t{n}": f"1.{n}.0"})

    async with anyio.create_task_group() as group:
        for n in range(8):
            group.start_soon(one, n)
    versions = {r.version for r in await metadata_store.list_releases(hosted, "pkg")}
    assert versions == {f"1.{n}.0" for n in range(8)}
    assert await metadata_store.list_tags(hosted, "pkg") == {f"t{n}": f"1.{n}.0" for n in range(8)}


async def test_update_release_metadata_merges(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    await publish(metadata_store, make_artifact, "1.0.0")
    serial = await metadata_store.change_serial()
    updated = await metadata_store.update_release_metadata(
        hosted, "pkg", "1.0.0", {"deprecated": "use 2.x"}
    )
    assert dict(updated.metadata) == {"version": "1.0.0", "deprecated": "use 2.x"}
    assert await metadata_store.change_serial() > serial
    release = await metadata_store.get_release(hosted, "pkg", "1.0.0")
    assert release is not None
    assert release.metadata["deprecated"] == "use 2.x"
    with pytest.raises(NotFoundError):
        await metadata_store.update_release_metadata(hosted, "pkg", "9.0.0", {})
