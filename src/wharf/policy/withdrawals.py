"""Following upstream withdrawals (DESIGN.md section 7).

A cached file whose upstream listing no longer offers it (a version unpublished or removed,
a project deleted) stays stored for audit, but is not served again: an install from an old
lockfile must not quietly keep pulling what upstream took down. An administrator can pin
such a file to keep serving it, for example while a replacement is found.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from wharf.core.models import METADATA_SUFFIX, Artifact

RULE_ID = "upstream-withdrawal"


def changed_files(
    cached: Iterable[Artifact], listed: Collection[str] | None
) -> tuple[set[str], set[str]]:
    """(newly withdrawn, listed again) filenames among the cached files of a project.

    ``listed`` is every filename upstream offers now, or None when upstream no longer has
    the project at all. A PEP 658 metadata file follows the file it describes.
    """
    gone: set[str] = set()
    back: set[str] = set()
    for artifact in cached:
        offered = listed is not None and (
            artifact.filename in listed
            or artifact.filename.removesuffix(METADATA_SUFFIX) in listed
        )
        if not offered and artifact.withdrawn_at is None:
            gone.add(artifact.filename)
        elif offered and artifact.withdrawn_at is not None:
            back.add(artifact.filename)
    return gone, back


def blocks_download(artifact: Artifact) -> bool:
    """True when a cached file must not be served: withdrawn upstream and not pinned."""
    return artifact.withdrawn_at is not None and artifact.pinned_by is None
