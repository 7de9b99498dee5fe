"""Names of the change stamps that invalidate cached pages and lookups."""

from __future__ import annotations

from wharf.core.ports import ChangeStamps

INDEXES = "indexes"


def project_key(index: str, project: str) -> str:
    """Changes with the project's page: releases, files, yanks, the upstream listing."""
    return f"project:{index}/{project}"


def files_key(index: str, project: str) -> str:
    """Changes with the set of the project's stored files (uploads, deletes, cached files)."""
    return f"files:{index}/{project}"


def index_key(index: str) -> str:
    return f"index:{index}"


def touch_project(stamps: ChangeStamps, index: str, project: str) -> None:
    """Record that a project of an index changed (its page, its files, the project list)."""
    stamps.bump(project_key(index, project))
    stamps.bump(files_key(index, project))
    stamps.bump(index_key(index))


def touch_files(stamps: ChangeStamps, index: str, project: str) -> None:
    """Record that a file was stored without changing any page (a proxy cached it)."""
    stamps.bump(files_key(index, project))


POLICY = "policy"
"""Changes with what the policy rules consult besides the settings: waivers, vulnerability
data. Every cached page and download verdict depends on it."""
