"""Names of the change stamps that invalidate cached pages and lookups."""

from __future__ import annotations

from wharf.core.ports import ChangeStamps

INDEXES = "indexes"


def project_key(index: str, project: str) -> str:
    return f"project:{index}/{project}"


def index_key(index: str) -> str:
    return f"index:{index}"


def touch_project(stamps: ChangeStamps, index: str, project: str) -> None:
    """Record that a project of an index changed (its page, and the index's project list)."""
    stamps.bump(project_key(index, project))
    stamps.bump(index_key(index))
