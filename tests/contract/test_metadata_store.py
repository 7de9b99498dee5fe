"""Contract of ``MetadataStore``: indexes, projects, releases, artifacts, upstream cache.

Accounts and audit are in ``test_metadata_store_accounts``; processes, migrations and the
SQLite engine settings in ``test_metadata_store_concurrency``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import anyio
import pytest

from wharf.core.errors import ConflictError, FileExistsConflict, NotFoundError
from wharf.core.models import (
    Acl,
    Artifact,
    Index,
    IndexKind,
    Origin,
    PackageRule,
    ProjectStatus,
    UpstreamDocument,
    UpstreamText,
)
from wharf.core.ports import MetadataStore
from wharf.db import SqlMetadataStore
from wharf.formats import codec
from wharf.formats.python.upstream import PythonUpstream

MakeArtifact = Callable[..., Artifact]  # the ``make_artifact`` fixture
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def test_the_store_satisfies_the_port() -> None:
    missing = [
        name
        for name in dir(MetadataStore)
        if not name.startswith("_") and not callable(getattr(SqlMetadataStore, name, None))
    ]
    assert missing == []


# indexes


async def test_index_round_trip(metadata_store: SqlMetadataStore) -> None:
    group = Index(
        "all",
        "python",
        IndexKind.GROUP,
        members=("local", "remote"),
        trust_upstream=("corp-*",),
        acl=Acl(read=(":authenticated:",), upload=("alice", "bob")),
        package_rules=(
            PackageRule("corp-*", read=(":authenticated:",), upload=("alice",)),
            PackageRule("corp-secret", unpublish=()),
        ),
        description="everything",
        created_at=T0,
    )
    assert await metadata_store.create_index(group) == group
    assert await metadata_store.get_index("all") == group
    assert await metadata_store.get_index("nope") is None


async def test_create_index_fills_in_created_at(metadata_store: SqlMetadataStore) -> None:
    before = datetime.now(UTC)
    created = await metadata_store.create_index(Index("local", "python", IndexKind.HOSTED))
    assert created.created_at is not None
    assert created.created_at >= before - timedelta(seconds=1)


async def test_index_names_are_unique(metadata_store: SqlMetadataStore) -> None:
    await metadata_store.create_index(Index("local", "python", IndexKind.HOSTED))
    with pytest.raises(ConflictError, match="local"):
        await metadata_store.create_index(Index("local", "npm", IndexKind.HOSTED))


async def test_update_index_replaces_settings_only(metadata_store: SqlMetadataStore) -> None:
    await metadata_store.create_index(
        Index("remote", "python", IndexKind.PROXY, upstream="https://a.example/simple/")
    )
    wanted = Index(
        "remote",
        "npm",
        IndexKind.HOSTED,
        upstream="https://b.example/simple/",
        acl=Acl(read=("alice",)),
        description="moved",
    )
    updated = await metadata_store.update_index(wanted)
    assert (updated.format, updated.kind) == ("python", IndexKind.PROXY)
    assert updated.upstream == "https://b.example/simple/"
    assert updated.acl == Acl(read=("alice",))
    assert updated.description == "moved"
    assert await metadata_store.get_index("remote") == updated
    with pytest.raises(NotFoundError, match="ghost"):
        await metadata_store.update_index(Index("ghost", "python", IndexKind.HOSTED))


async def test_list_indexes_by_name(metadata_store: SqlMetadataStore) -> None:
    for name in ("pypi", "npm", "local"):
        await metadata_store.create_index(Index(name, "python", IndexKind.HOSTED))
    assert [index.name for index in await metadata_store.list_indexes()] == [
        "local",
        "npm",
        "pypi",
    ]


async def test_delete_index_removes_everything_in_it(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    await metadata_store.create_index(Index("other", "python", IndexKind.HOSTED))
    doomed = make_artifact("demo-1.0.tar.gz", metadata_sha256="e" * 64)
    kept = make_artifact("demo-1.0.tar.gz", index="other", sha256="f" * 64)
    await metadata_store.add_artifact(doomed, display_name="Demo", release_metadata={})
    await metadata_store.add_artifact(kept, display_name="Demo", release_metadata={})
    await metadata_store.put_upstream_document(UpstreamDocument(hosted, "demo", T0, True))

    digests = await metadata_store.delete_index(hosted)

    assert sorted(digests) == sorted([doomed.sha256, "e" * 64])
    assert await metadata_store.get_index(hosted) is None
    assert await metadata_store.list_projects(hosted) == []
    assert await metadata_store.list_releases(hosted, "demo") == []
    assert await metadata_store.get_artifact(hosted, doomed.filename) is None
    assert await metadata_store.get_upstream_document(hosted, "demo") is None
    assert await metadata_store.get_artifact("other", kept.filename) == kept
    # The reserved filenames went with the index: a new index of that name starts afresh.
    await metadata_store.create_index(Index(hosted, "python", IndexKind.HOSTED))
    again = make_artifact("demo-1.0.tar.gz", sha256="0" * 64)
    added = await metadata_store.add_artifact(again, display_name="Demo", release_metadata={})
    assert added.created
    with pytest.raises(NotFoundError, match="ghost"):
        await metadata_store.delete_index("ghost")


# adding artifacts


async def test_add_artifact_creates_project_and_release(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    artifact = make_artifact(
        "demo-1.0-py3-none-any.whl",
        kind="bdist_wheel",
        digests={"md5": "a" * 32, "blake2b_256": "b" * 64},
        metadata_sha256="c" * 64,
        attrs={"requires_python": ">=3.11", "python_version": "py3"},
        origin=Origin.CACHED,
        uploader="alice",
        minutes=5,
    )
    result = await metadata_store.add_artifact(
        artifact, display_name="Demo", release_metadata={"summary": "A demo"}
    )
    assert result.created
    assert result.artifact == artifact
    project = await metadata_store.get_project(hosted, "demo")
    assert project is not None
    assert (project.display_name, project.created_at) == ("Demo", artifact.uploaded_at)
    assert project.status is ProjectStatus.ACTIVE
    release = await metadata_store.get_release(hosted, "demo", "1.0")
    assert release is not None
    assert release.created_at == artifact.uploaded_at
    assert dict(release.metadata) == {"summary": "A demo"}
    assert not release.yanked
    assert await metadata_store.get_artifact(hosted, artifact.filename) == artifact


async def test_release_metadata_is_kept_from_the_first_artifact(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    await metadata_store.add_artifact(
        make_artifact("demo-1.0.tar.gz"), display_name="Demo", release_metadata={"v": 1}
    )
    await metadata_store.add_artifact(
        make_artifact("demo-1.0-py3-none-any.whl", minutes=1),
        display_name="DEMO",
        release_metadata={"v": 2},
    )
    release = await metadata_store.get_release(hosted, "demo", "1.0")
    project = await metadata_store.get_project(hosted, "demo")
    assert release is not None
    assert project is not None
    assert dict(release.metadata) == {"v": 1}
    assert project.display_name == "Demo"
    assert len(await metadata_store.list_artifacts(hosted, "demo")) == 2


async def test_re_adding_the_same_file_is_idempotent(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    first = make_artifact("demo-1.0.tar.gz", uploader="alice")
    await metadata_store.add_artifact(first, display_name="Demo", release_metadata={})
    retry = make_artifact("demo-1.0.tar.gz", uploader="bob", minutes=9)
    result = await metadata_store.add_artifact(retry, display_name="Demo", release_metadata={})
    assert not result.created
    assert result.artifact == first
    assert await metadata_store.list_artifacts(hosted, "demo") == [first]


async def test_same_filename_with_other_bytes_is_refused(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    original = make_artifact("demo-1.0.tar.gz", sha256="1" * 64)
    await metadata_store.add_artifact(original, display_name="Demo", release_metadata={})
    with pytest.raises(FileExistsConflict) as caught:
        await metadata_store.add_artifact(
            make_artifact("demo-1.0.tar.gz", sha256="2" * 64),
            display_name="Demo",
            release_metadata={},
        )
    assert caught.value.identical is False
    assert "already exist" in caught.value.message  # twine --skip-existing looks for this
    assert "demo-1.0.tar.gz" in caught.value.message
    assert await metadata_store.list_artifacts(hosted, "demo") == [original]


@pytest.mark.parametrize("same_bytes", [True, False])
@pytest.mark.parametrize("deletion", ["release", "project"])
async def test_a_deleted_filename_is_never_reused(
    metadata_store: SqlMetadataStore,
    hosted: str,
    make_artifact: MakeArtifact,
    same_bytes: bool,
    deletion: str,
) -> None:
    artifact = make_artifact("demo-1.0.tar.gz", sha256="1" * 64)
    await metadata_store.add_artifact(artifact, display_name="Demo", release_metadata={})
    if deletion == "release":
        await metadata_store.delete_release(hosted, "demo", "1.0")
    else:
        await metadata_store.delete_project(hosted, "demo")
    again = make_artifact("demo-1.0.tar.gz", sha256=("1" if same_bytes else "2") * 64)
    with pytest.raises(FileExistsConflict) as caught:
        await metadata_store.add_artifact(again, display_name="Demo", release_metadata={})
    assert caught.value.identical is False
    if same_bytes:
        assert "deleted" in caught.value.message
    assert await metadata_store.get_project(hosted, "demo") is None


async def test_filenames_are_reserved_per_index(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    await metadata_store.create_index(Index("other", "python", IndexKind.HOSTED))
    await metadata_store.add_artifact(
        make_artifact("demo-1.0.tar.gz", sha256="1" * 64), display_name="Demo", release_metadata={}
    )
    result = await metadata_store.add_artifact(
        make_artifact("demo-1.0.tar.gz", index="other", sha256="2" * 64),
        display_name="Demo",
        release_metadata={},
    )
    assert result.created


async def test_add_artifact_to_a_missing_index_is_not_found(
    metadata_store: SqlMetadataStore, make_artifact: MakeArtifact
) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        await metadata_store.add_artifact(
            make_artifact("demo-1.0.tar.gz", index="ghost"),
            display_name="Demo",
            release_metadata={},
        )


async def test_concurrent_adds_of_one_filename_create_it_once(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    outcomes: list[str] = []

    async def add(n: int) -> None:
        artifact = make_artifact("demo-1.0.tar.gz", sha256=("a" if n % 2 else "b") * 64)
        try:
            added = await metadata_store.add_artifact(
                artifact, display_name="Demo", release_metadata={}
            )
        except FileExistsConflict:
            outcomes.append("conflict")
        else:
            outcomes.append("created" if added.created else "existing")

    async with anyio.create_task_group() as group:
        for n in range(8):
            group.start_soon(add, n)
    assert outcomes.count("created") == 1
    assert len(await metadata_store.list_artifacts(hosted, "demo")) == 1


# reading


async def test_listing_orders(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    adds = [
        make_artifact("zeta-2.0.tar.gz", project="zeta", version="2.0", minutes=30),
        make_artifact("zeta-10.0.tar.gz", project="zeta", version="10.0", minutes=40),
        make_artifact("zeta-1.0.tar.gz", project="zeta", version="1.0", minutes=50),
        make_artifact("zeta-2.0-py3-none-any.whl", project="zeta", version="2.0", minutes=10),
        make_artifact("alpha-1.0.tar.gz", project="alpha", minutes=20),
    ]
    for artifact in adds:
        await metadata_store.add_artifact(artifact, display_name="X", release_metadata={})
    assert [p.name for p in await metadata_store.list_projects(hosted)] == ["alpha", "zeta"]
    versions = [r.version for r in await metadata_store.list_releases(hosted, "zeta")]
    assert versions == ["2.0", "10.0", "1.0"]
    assert [a.filename for a in await metadata_store.list_artifacts(hosted, "zeta")] == [
        "zeta-2.0-py3-none-any.whl",
        "zeta-2.0.tar.gz",
        "zeta-10.0.tar.gz",
        "zeta-1.0.tar.gz",
    ]
    assert {a.filename for a in await metadata_store.list_all_artifacts()} == {
        a.filename for a in adds
    }
    assert await metadata_store.get_project(hosted, "beta") is None
    assert await metadata_store.get_release(hosted, "zeta", "3.0") is None
    assert await metadata_store.get_artifact(hosted, "zeta-3.0.tar.gz") is None


async def test_datetimes_come_back_aware_utc(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    plus_two = timezone(timedelta(hours=2))
    local_time = datetime(2025, 6, 1, 14, 30, 15, 123456, tzinfo=plus_two)
    artifact = dataclasses.replace(make_artifact("demo-1.0.tar.gz"), uploaded_at=local_time)
    await metadata_store.add_artifact(artifact, display_name="Demo", release_metadata={})
    stored = await metadata_store.get_artifact(hosted, "demo-1.0.tar.gz")
    assert stored is not None
    assert stored.uploaded_at == local_time
    assert stored.uploaded_at.tzinfo == UTC
    assert stored.uploaded_at.hour == 12
    index = await metadata_store.get_index(hosted)
    assert index is not None
    assert index.created_at is not None
    assert index.created_at.tzinfo == UTC


async def test_referenced_digests_include_metadata_documents(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    with_doc = make_artifact("demo-1.0-py3-none-any.whl", sha256="1" * 64, metadata_sha256="2" * 64)
    without = make_artifact("demo-1.0.tar.gz", sha256="3" * 64)
    for artifact in (with_doc, without):
        await metadata_store.add_artifact(artifact, display_name="Demo", release_metadata={})
    assert await metadata_store.referenced_digests() == {"1" * 64, "2" * 64, "3" * 64}
    await metadata_store.delete_project(hosted, "demo")
    assert await metadata_store.referenced_digests() == set()


# changing and deleting


async def test_project_status(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    await metadata_store.add_artifact(
        make_artifact("demo-1.0.tar.gz"), display_name="Demo", release_metadata={}
    )
    await metadata_store.set_project_status(hosted, "demo", ProjectStatus.ARCHIVED, "moved")
    project = await metadata_store.get_project(hosted, "demo")
    assert project is not None
    assert (project.status, project.status_reason) == (ProjectStatus.ARCHIVED, "moved")
    with pytest.raises(NotFoundError, match="ghost"):
        await metadata_store.set_project_status(hosted, "ghost", ProjectStatus.ARCHIVED, "")


async def test_yank_and_unyank(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    await metadata_store.add_artifact(
        make_artifact("demo-1.0.tar.gz"), display_name="Demo", release_metadata={"a": 1}
    )
    yanked = await metadata_store.set_yanked(hosted, "demo", "1.0", True, "broken")
    assert (yanked.yanked, yanked.yanked_reason, dict(yanked.metadata)) == (
        True,
        "broken",
        {"a": 1},
    )
    assert await metadata_store.get_release(hosted, "demo", "1.0") == yanked
    restored = await metadata_store.set_yanked(hosted, "demo", "1.0", False, "")
    assert not restored.yanked
    with pytest.raises(NotFoundError, match=r"9\.9"):
        await metadata_store.set_yanked(hosted, "demo", "9.9", True, "")


async def test_delete_release_keeps_the_project_until_its_last_release(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    one = [make_artifact("demo-1.0.tar.gz"), make_artifact("demo-1.0-py3-none-any.whl", minutes=1)]
    two = make_artifact("demo-2.0.tar.gz", version="2.0", minutes=2)
    for artifact in (*one, two):
        await metadata_store.add_artifact(artifact, display_name="Demo", release_metadata={})

    assert await metadata_store.delete_release(hosted, "demo", "1.0") == one
    assert await metadata_store.get_release(hosted, "demo", "1.0") is None
    assert await metadata_store.list_artifacts(hosted, "demo") == [two]
    assert await metadata_store.get_project(hosted, "demo") is not None

    assert await metadata_store.delete_release(hosted, "demo", "2.0") == [two]
    assert await metadata_store.get_project(hosted, "demo") is None
    with pytest.raises(NotFoundError, match=r"2\.0"):
        await metadata_store.delete_release(hosted, "demo", "2.0")


async def test_delete_project(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    adds = [make_artifact("demo-1.0.tar.gz"), make_artifact("demo-2.0.tar.gz", version="2.0")]
    other = make_artifact("other-1.0.tar.gz", project="other")
    for artifact in (*adds, other):
        await metadata_store.add_artifact(artifact, display_name="X", release_metadata={})
    assert await metadata_store.delete_project(hosted, "demo") == adds
    assert await metadata_store.get_project(hosted, "demo") is None
    assert await metadata_store.list_releases(hosted, "demo") == []
    assert await metadata_store.list_all_artifacts() == [other]
    with pytest.raises(NotFoundError, match="demo"):
        await metadata_store.delete_project(hosted, "demo")


async def test_change_serial_grows_with_every_change(
    metadata_store: SqlMetadataStore, hosted: str, make_artifact: MakeArtifact
) -> None:
    seen = [await metadata_store.change_serial()]

    async def changed() -> None:
        seen.append(await metadata_store.change_serial())
        assert seen[-1] > seen[-2]

    await metadata_store.add_artifact(
        make_artifact("demo-1.0.tar.gz"), display_name="Demo", release_metadata={}
    )
    await changed()
    await metadata_store.add_artifact(
        make_artifact("demo-2.0.tar.gz", version="2.0"), display_name="Demo", release_metadata={}
    )
    await changed()
    await metadata_store.set_yanked(hosted, "demo", "1.0", True, "")
    await changed()
    await metadata_store.set_project_status(hosted, "demo", ProjectStatus.DEPRECATED, "")
    await changed()
    await metadata_store.delete_release(hosted, "demo", "1.0")
    await changed()
    await metadata_store.delete_project(hosted, "demo")
    await changed()
    await metadata_store.put_upstream_document(UpstreamDocument(hosted, "demo", T0, True))
    await changed()


# upstream cache


async def test_upstream_documents(metadata_store: SqlMetadataStore) -> None:
    await metadata_store.create_index(Index("remote", "python", IndexKind.PROXY))
    assert await metadata_store.get_upstream_document("remote", "demo") is None
    first = UpstreamDocument(
        "remote", "demo", T0, True, body={"files": [{"filename": "demo-1.0.tar.gz"}]}, etag='"1"'
    )
    await metadata_store.put_upstream_document(first)
    assert await metadata_store.get_upstream_document("remote", "demo") == first

    second = UpstreamDocument(
        "remote", "demo", T0 + timedelta(hours=1), True, body={}, last_modified="Tue, 1 Jul"
    )
    await metadata_store.put_upstream_document(second)
    assert await metadata_store.get_upstream_document("remote", "demo") == second

    await metadata_store.put_upstream_document(UpstreamDocument("remote", "absent", T0, False))
    await metadata_store.put_upstream_document(UpstreamDocument("remote", "alpha", T0, True))
    assert await metadata_store.get_upstream_text("remote", "absent") == UpstreamText(
        T0, False, "{}")
    assert await metadata_store.list_upstream_projects("remote") == ["alpha", "demo"]
    with pytest.raises(NotFoundError, match="ghost"):
        await metadata_store.put_upstream_document(UpstreamDocument("ghost", "demo", T0, True))


async def test_upstream_text_is_the_stored_json(metadata_store: SqlMetadataStore) -> None:
    """The text a download searches for its one entry: the compact JSON the document was
    written as, on every backend, so the Python format finds the entry without decoding."""
    await metadata_store.create_index(Index("remote", "python", IndexKind.PROXY))
    assert await metadata_store.get_upstream_text("remote", "demo") is None
    files = [{"filename": f"demo-1.{n}.tar.gz", "url": f"http://up.test/demo-1.{n}.tar.gz",
              "hashes": {"sha256": str(n) * 64}, "size": n, "core-metadata": False}
             for n in range(5)]
    body = {"name": "demo", "files": files, "versions": ["1.0"], "note": "ünïcode \" \\"}
    await metadata_store.put_upstream_document(UpstreamDocument("remote", "demo", T0, True, body))

    stored = await metadata_store.get_upstream_text("remote", "demo")

    assert stored is not None
    assert (stored.fetched_at, stored.found) == (T0, True)
    assert codec.loads(stored.text) == body
    found = PythonUpstream().locate_in_text(stored.text, "demo", "demo-1.3.tar.gz")
    assert found == PythonUpstream().locate(body, "demo-1.3.tar.gz")
    assert found is not None
    assert found.size == 3


async def test_concurrent_upstream_puts_leave_one_document(
    metadata_store: SqlMetadataStore,
) -> None:
    await metadata_store.create_index(Index("remote", "python", IndexKind.PROXY))
    async with anyio.create_task_group() as group:
        for n in range(8):
            document = UpstreamDocument("remote", "demo", T0, True, body={"n": n})
            group.start_soon(metadata_store.put_upstream_document, document)
    stored = await metadata_store.get_upstream_document("remote", "demo")
    assert stored is not None
    assert stored.body["n"] in range(8)
    assert await metadata_store.list_upstream_projects("remote") == ["demo"]
