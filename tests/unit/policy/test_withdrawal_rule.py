"""Which cached files upstream withdrew, and which downloads that blocks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wharf.core.models import Artifact
from wharf.policy.withdrawals import blocks_download, changed_files

WHEN = datetime(2026, 3, 1, tzinfo=UTC)


def artifact(filename: str, *, withdrawn: bool = False, pinned_by: str | None = None) -> Artifact:
    return Artifact(
        index="remote", project="p", version="1", filename=filename, sha256="0" * 64,
        size=1, uploaded_at=WHEN, kind="", withdrawn_at=WHEN if withdrawn else None,
        pinned_by=pinned_by,
    )


@pytest.mark.parametrize(
    ("cached", "listed", "gone", "back"),
    [
        ([artifact("p-1.tgz"), artifact("p-2.tgz")], {"p-2.tgz"}, {"p-1.tgz"}, set()),
        ([artifact("p-1.tgz")], {"p-1.tgz"}, set(), set()),
        ([artifact("p-1.tgz", withdrawn=True)], {"p-1.tgz"}, set(), {"p-1.tgz"}),
        ([artifact("p-1.tgz", withdrawn=True)], set(), set(), set()),
        ([artifact("p-1.tgz"), artifact("p-2.tgz")], None, {"p-1.tgz", "p-2.tgz"}, set()),
        # a PEP 658 metadata file follows the file it describes
        ([artifact("p-1.whl.metadata")], {"p-1.whl"}, set(), set()),
        ([artifact("p-1.whl.metadata")], {"p-2.whl"}, {"p-1.whl.metadata"}, set()),
    ],
)
def test_changed_files(
    cached: list[Artifact], listed: set[str] | None, gone: set[str], back: set[str]
) -> None:
    assert changed_files(cached, listed) == (gone, back)


def test_blocks_only_withdrawn_unpinned_files() -> None:
    assert not blocks_download(artifact("a"))
    assert blocks_download(artifact("a", withdrawn=True))
    assert not blocks_download(artifact("a", withdrawn=True, pinned_by="root"))
    assert not blocks_download(artifact("a", pinned_by="root"))
